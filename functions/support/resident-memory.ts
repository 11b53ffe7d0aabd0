/**
 * A process's peak resident set size, as a Lambda's "Max Memory Used" counts it: this process
 * image's own. Linux's `VmHWM` is that. `process.resourceUsage().maxRSS` is not: it keeps the
 * peak of the image before `exec`, and a process is forked as a copy of its parent (a step
 * process of a test worker or of the command, a build started by a benchmark), so it could
 * report the parent's size.
 */
import { promises as fs } from 'node:fs';

/** In kB: `pid`'s peak resident set so far (Linux), or null where the system does not say. */
export async function residentPeakKb(pid: number | 'self' | undefined): Promise<number | null> {
  if (pid === undefined || process.platform !== 'linux') return null;
  try {
    const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** In kB: this process's own peak resident set; Node's figure where the system does not say. */
export async function ownPeakResidentKb(): Promise<number> {
  return (await residentPeakKb('self')) ?? process.resourceUsage().maxRSS;
}
