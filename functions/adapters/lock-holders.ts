/**
 * Telling whether a lock's holder is gone: a process on this machine (the embedded default), or
 * a Step Functions execution (in AWS).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { LockHolder, LockHolders } from '../core/lock-holder.js';

/**
 * When the process started, as `<boot id>:<start time in clock ticks>` (Linux), so that a
 * process id the system has given to another process since does not pass for the holder.
 */
export function processStartOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its end.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return `${bootId}:${fields[19]}`;
  } catch {
    return null;
  }
}

/** This process as a lock holder. */
export function thisProcessHolder(): LockHolder {
  return { kind: 'process', host: os.hostname(), pid: process.pid, processStart: processStartOf(process.pid) };
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, but belongs to someone else.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Processes on this machine; executions cannot be checked from here. */
export const processLockHolders: LockHolders = {
  async isGone(holder) {
    if (holder.kind !== 'process' || holder.host !== os.hostname()) return false;
    if (!processExists(holder.pid)) return true;
    const start = processStartOf(holder.pid);
    return holder.processStart !== null && start !== null && start !== holder.processStart;
  },
};

/** Executions of the state machine, by DescribeExecution; anything it cannot tell counts as alive. */
export function executionLockHolders(client: SFNClient, log: (message: string, extra: Record<string, unknown>) => void): LockHolders {
  return {
    async isGone(holder) {
      if (holder.kind !== 'execution' || !holder.executionArn.startsWith('arn:')) return false;
      try {
        const { status } = await client.send(new DescribeExecutionCommand({ executionArn: holder.executionArn }));
        return status !== undefined && status !== 'RUNNING' && status !== 'PENDING_REDRIVE';
      } catch (error) {
        log('cannot tell whether the lock holder still runs; leaving the lock to expire', { executionArn: holder.executionArn, error: (error as Error).name });
        return false;
      }
    },
  };
}
