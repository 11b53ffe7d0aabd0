/**
 * Runs each step invocation in a process of its own, held to its function's configuration as
 * Lambda holds it: the heap is capped at the configured memory, the process's peak resident
 * memory is watched (Linux: `VmHWM` in /proc) and the invocation is killed as
 * `Runtime.OutOfMemory` when it goes over, and it is killed as `Sandbox.Timedout` at its
 * configured timeout. The peak of every invocation is reported, so a run shows how close each
 * step comes to its limit.
 *
 * The process runs an esbuild bundle of step-host.ts (step-host-bundle.ts): plain JavaScript
 * starts in a fraction of the time a TypeScript loader would take, and the charts page is baked
 * in as in the Lambda bundles.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import type { CheckpointName, Log } from '../pipeline/deps.js';
import type { StepExecutor, StepLimits, StepRun } from '../../workflows/local-runner.js';
import type { PipelineStep } from '../../workflows/pipeline.js';
import { LambdaRuntimeError, lambdaExitError, lambdaOutOfMemoryError, lambdaTimeoutError } from './lambda-errors.js';
import type { LocalDepsSpec } from './local-deps.js';
import { stepHostBundle } from './step-host-bundle.js';
import type { HostMessage, InvokeMessage } from './step-protocol.js';

export interface ProcessExecutorOptions {
  readonly spec: LocalDepsSpec;
  readonly log: Log;
  readonly checkpoint: (name: CheckpointName) => Promise<void>;
  readonly functionName: (step: PipelineStep) => string;
  /** Hold each invocation to its configured memory (default true); false only measures. */
  readonly enforceMemory?: boolean;
}

/** How often the resident memory of a step process is read. */
const WATCH_INTERVAL_MS = 20;
/** The last stderr bytes of a step process kept for the error message. */
const STDERR_KEPT = 4_096;

export class ProcessStepExecutor implements StepExecutor {
  private readonly running = new Set<ChildProcess>();

  constructor(private readonly options: ProcessExecutorOptions) {}

  async run(step: PipelineStep, input: unknown, limits: StepLimits): Promise<StepRun> {
    const host = await stepHostBundle();
    const name = this.options.functionName(step);
    const child = fork(host, [], {
      // The heap may use the whole configured memory; the watch below holds the whole process to it.
      execArgv: [`--max-old-space-size=${limits.memoryMb}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    this.running.add(child);
    try {
      return await this.supervise(child, step, limits, {
        type: 'invoke',
        step,
        input,
        spec: this.options.spec,
        functionName: name,
        functionArn: `arn:aws:lambda:us-west-2:000000000000:function:${name}`,
        memoryMb: limits.memoryMb,
        timeoutMs: limits.timeoutSeconds * 1000,
      });
    } finally {
      this.running.delete(child);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }

  async stop(): Promise<void> {
    for (const child of this.running) child.kill('SIGKILL');
    this.running.clear();
  }

  private supervise(child: ChildProcess, step: PipelineStep, limits: StepLimits, invocation: InvokeMessage): Promise<StepRun> {
    const enforce = this.options.enforceMemory ?? true;
    let stderr = '';
    let peakKb = 0;
    let ended: 'timeout' | 'memory' | null = null;
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT)));

    return new Promise<StepRun>((resolve, reject) => {
      const watch = setInterval(() => {
        void residentPeakKb(child.pid).then((kb) => {
          if (kb === null) return;
          peakKb = Math.max(peakKb, kb);
          if (enforce && peakKb > limits.memoryMb * 1024 && !ended) {
            ended = 'memory';
            child.kill('SIGKILL');
          }
        });
      }, WATCH_INTERVAL_MS);
      const timer = setTimeout(() => {
        ended = 'timeout';
        child.kill('SIGKILL');
      }, limits.timeoutSeconds * 1000);
      let settled = false;
      const settle = (action: () => void): void => {
        if (settled) return;
        settled = true;
        clearInterval(watch);
        clearTimeout(timer);
        action();
      };
      const peakMb = (): number => Math.ceil(peakKb / 1024);

      child.on('message', (message: HostMessage) => {
        switch (message.type) {
          case 'ready':
            child.send(invocation);
            break;
          case 'log':
            this.options.log[message.level](message.message, message.extra);
            break;
          case 'checkpoint':
            this.options.checkpoint(message.name).then(
              () => child.connected && child.send({ type: 'checkpoint-done', id: message.id }),
              (error: Error) => child.connected && child.send({ type: 'checkpoint-done', id: message.id, error: { name: error.name, message: error.message } }),
            );
            break;
          case 'result':
            peakKb = Math.max(peakKb, message.peakRssKb);
            settle(() => {
              if (enforce && peakKb > limits.memoryMb * 1024) return reject(lambdaOutOfMemoryError(step, limits, peakMb()));
              if (message.ok) return resolve({ output: message.output, peakMemoryMb: peakMb() });
              reject(new LambdaRuntimeError(message.error?.name ?? 'Error', message.error?.message ?? 'unknown error'));
            });
            break;
        }
      });
      child.on('error', (error) => settle(() => reject(lambdaExitError(step, error.message))));
      child.on('exit', (code, signal) =>
        settle(() => {
          if (ended === 'timeout') return reject(lambdaTimeoutError(step, limits));
          if (ended === 'memory' || /heap out of memory|Reached heap limit/.test(stderr)) return reject(lambdaOutOfMemoryError(step, limits, peakMb() || null));
          const last = stderr.trim().split('\n').slice(-3).join(' ').trim();
          reject(lambdaExitError(step, `${signal ? `signal ${signal}` : `exit code ${code}`}${last ? `: ${last}` : ''}`));
        }),
      );
    });
  }
}

/** The process's peak resident set size so far, in kB, where the system tells it (Linux). */
async function residentPeakKb(pid: number | undefined): Promise<number | null> {
  if (pid === undefined || process.platform !== 'linux') return null;
  try {
    const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}
