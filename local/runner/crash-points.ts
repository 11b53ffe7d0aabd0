/**
 * Fault injection for the crash harness (test/crash/): `USAGE_CRASH_AT=<checkpoint>[#n]` makes
 * `usage-pipeline local` kill itself with SIGKILL the n-th time (default: first) a step reaches
 * that checkpoint — a crash at that instant, with no chance to clean up. Unset, it does nothing.
 */
import { CHECKPOINTS, type CheckpointName } from '../../functions/pipeline/deps.js';

export const CRASH_AT_VARIABLE = 'USAGE_CRASH_AT';

export function crashPointFromEnvironment(env: NodeJS.ProcessEnv = process.env): ((name: CheckpointName) => Promise<void>) | undefined {
  const setting = env[CRASH_AT_VARIABLE];
  if (!setting) return undefined;
  const [name, count = '1'] = setting.split('#');
  if (!(CHECKPOINTS as readonly string[]).includes(name as string) || !/^[1-9]\d*$/.test(count)) {
    throw new Error(`${CRASH_AT_VARIABLE}=${setting}: expected one of ${CHECKPOINTS.join(', ')}, optionally followed by #n`);
  }
  let remaining = Number(count);
  return async (reached) => {
    if (reached === name && --remaining === 0) process.kill(process.pid, 'SIGKILL');
  };
}
