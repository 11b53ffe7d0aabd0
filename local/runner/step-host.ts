/**
 * Step invocations in a process of their own, as a Lambda sandbox runs them: the parent
 * (local/runner/process-executor.ts) starts this program with the function's memory as its
 * heap limit, sends `invoke` messages one at a time, and reads the peak memory of the process.
 * Logs and fault-injection checkpoints travel back over the IPC channel.
 *
 * A sandbox dies with its caller: when the parent goes away (a crash, SIGKILL) the channel
 * closes and this process exits at once, as an aborted invocation would stop mattering.
 */
import { STEPS } from '../../functions/handlers/steps.js';
import type { CheckpointName } from '../../functions/pipeline/deps.js';
import type { Log } from '../../functions/core/log.js';
import { createLocalDeps, type LocalDeps, type LocalDepsSpec } from './local-deps.js';
import type { HostMessage, InvokeMessage } from './step-protocol.js';
import { lambdaContext } from './lambda-context.js';
import { ownPeakResidentKb } from '../../functions/support/resident-memory.js';

const pendingCheckpoints = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
let nextCheckpoint = 0;

function send(message: HostMessage): void {
  process.send?.(message);
}

const log: Log = Object.fromEntries(
  (['debug', 'info', 'warn', 'error'] as const).map((level) => [
    level,
    (message: string, ...extra: Array<Record<string, unknown>>) => send({ type: 'log', level, message, extra: Object.assign({}, ...extra) }),
  ]),
) as unknown as Log;

function checkpoint(name: CheckpointName): Promise<void> {
  const id = nextCheckpoint++;
  return new Promise((resolve, reject) => {
    pendingCheckpoints.set(id, { resolve, reject });
    send({ type: 'checkpoint', id, name });
  });
}

async function invoke(message: InvokeMessage): Promise<void> {
  let local: LocalDeps | undefined;
  let outcome: { ok: true; output: unknown } | { ok: false; error: { name: string; message: string } };
  try {
    local = await createLocalDeps(message.spec as LocalDepsSpec, { log, checkpoint });
    const deps = local.deps;
    const output = await STEPS[message.step](async () => deps)(message.input, lambdaContext(message));
    outcome = { ok: true, output: output ?? null };
  } catch (error) {
    outcome = { ok: false, error: error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) } };
  } finally {
    local?.close();
  }
  // The process stays for the next invocation of the same function, as a warm sandbox does.
  send({ type: 'result', ...outcome, peakRssKb: await ownPeakResidentKb() });
}

process.on('disconnect', () => process.exit(1));
process.on('message', (message: { type: string; id?: number; error?: { name: string; message: string } }) => {
  if (message.type === 'invoke') {
    void invoke(message as InvokeMessage);
  } else if (message.type === 'checkpoint-done' && message.id !== undefined) {
    const waiting = pendingCheckpoints.get(message.id);
    pendingCheckpoints.delete(message.id);
    if (!waiting) return;
    if (!message.error) return waiting.resolve();
    const error = new Error(message.error.message);
    error.name = message.error.name;
    waiting.reject(error);
  }
});
send({ type: 'ready' });
