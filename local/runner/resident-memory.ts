/**
 * A process's peak resident set size, as a Lambda's "Max Memory Used" counts it: this process
 * image's own. Linux's `VmHWM` is that. `process.resourceUsage().maxRSS` is not: it keeps the
 * peak of the image before `exec`, and a forked step process starts as a copy of its parent
 * (a test worker or the command, often past 256 MB), so it could report the parent's size.
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
