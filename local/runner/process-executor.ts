/**
 * Runs each step invocation in a process of its own, held to its function's configuration as
 * Lambda holds it: the heap is capped at the configured memory, the process's peak resident
 * memory is watched (Linux: `VmHWM` in /proc) and the invocation is killed as
 * `Runtime.OutOfMemory` when it goes over, and it is killed as `Sandbox.Timedout` at its
 * configured timeout. The peak of every invocation is reported, so a run shows how close each
 * step comes to its limit.
 *
 * As Lambda keeps a sandbox warm for the next invocation of the same function, a process that
 * finished an invocation waits (for a while, without keeping this process alive) for the next
 * one; what it holds from earlier invocations counts against its memory, as in Lambda. A
 * sandbox whose invocation was killed or crashed is never reused.
 *
 * The process runs an esbuild bundle of step-host.ts (step-host-bundle.ts): plain JavaScript
 * starts in a fraction of the time a TypeScript loader would take, and the charts page is baked
 * in as in the Lambda bundles.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { CheckpointName } from '../../functions/pipeline/deps.js';
import type { Log } from '../../functions/core/log.js';
import type { StepExecutor, StepLimits, StepRun } from './state-machine.js';
import type { PipelineStep } from '../../functions/config/functions.js';
import { LambdaRuntimeError, lambdaExitError, lambdaOutOfMemoryError, lambdaTimeoutError } from './lambda-errors.js';
import type { LocalDepsSpec } from './local-deps.js';
import { residentPeakKb } from '../../functions/support/resident-memory.js';
import { stepHostBundle } from './step-host-bundle.js';
import type { HostMessage, InvokeMessage } from './step-protocol.js';
import { localFunctionArn } from './lambda-context.js';

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
/** How long an idle sandbox waits for its next invocation. */
const IDLE_MS = 30_000;

interface InvocationHooks {
  readonly log: Log;
  readonly checkpoint: (name: CheckpointName) => Promise<void>;
  readonly enforce: boolean;
}

/** One step process: a Lambda sandbox for one function, one invocation at a time. */
class Sandbox {
  private readonly child: ChildProcess;
  private readonly ready: Promise<void>;
  private stderr = '';
  private peakKb = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(host: string, memoryMb: number) {
    this.child = fork(host, [], {
      // The heap may use the whole configured memory; the watch holds the whole process to it.
      execArgv: [`--max-old-space-size=${memoryMb}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_KEPT)));
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (message: HostMessage) => {
        if (message.type !== 'ready') return;
        this.child.off('message', onMessage);
        resolve();
      };
      this.child.on('message', onMessage);
      this.child.once('exit', () => reject(new Error('the step process exited before it was ready')));
    });
    this.ready.catch(() => undefined);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && this.child.connected;
  }

  kill(): void {
    clearTimeout(this.idleTimer);
    if (this.alive) this.child.kill('SIGKILL');
  }

  /** Waits for the next invocation without keeping this process alive, for a while. */
  park(onExpire: () => void): void {
    this.child.unref();
    (this.child as ChildProcess & { channel?: { unref(): void } }).channel?.unref();
    (this.child.stderr as { unref?: () => void } | null)?.unref?.();
    this.idleTimer = setTimeout(() => {
      onExpire();
      this.kill();
    }, IDLE_MS);
    this.idleTimer.unref();
  }

  private unpark(): void {
    clearTimeout(this.idleTimer);
    this.child.ref();
    (this.child as ChildProcess & { channel?: { ref(): void } }).channel?.ref();
    (this.child.stderr as { ref?: () => void } | null)?.ref?.();
  }

  async invoke(step: PipelineStep, limits: StepLimits, invocation: InvokeMessage, hooks: InvocationHooks): Promise<StepRun> {
    this.unpark();
    try {
      await this.ready;
    } catch {
      throw lambdaExitError(step, this.describeExit());
    }
    const child = this.child;
    let ended: 'timeout' | 'memory' | null = null;
    const peakMb = (): number => Math.ceil(this.peakKb / 1024);
    const over = (): boolean => hooks.enforce && this.peakKb > limits.memoryMb * 1024;

    return new Promise<StepRun>((resolve, reject) => {
      const watch = setInterval(() => {
        void residentPeakKb(child.pid).then((kb) => {
          if (kb === null) return;
          this.peakKb = Math.max(this.peakKb, kb);
          if (over() && !ended) {
            ended = 'memory';
            child.kill('SIGKILL');
          }
        });
      }, WATCH_INTERVAL_MS);
      const timer = setTimeout(() => {
        ended = 'timeout';
        child.kill('SIGKILL');
      }, limits.timeoutSeconds * 1000);
      const settle = (action: () => void): void => {
        clearInterval(watch);
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        action();
      };
      const onMessage = (message: HostMessage): void => {
        switch (message.type) {
          case 'log':
            hooks.log[message.level](message.message, message.extra);
            break;
          case 'checkpoint':
            hooks.checkpoint(message.name).then(
              () => child.connected && child.send({ type: 'checkpoint-done', id: message.id }),
              (error: Error) => child.connected && child.send({ type: 'checkpoint-done', id: message.id, error: { name: error.name, message: error.message } }),
            );
            break;
          case 'result':
            this.peakKb = Math.max(this.peakKb, message.peakRssKb);
            settle(() => {
              if (over()) return reject(lambdaOutOfMemoryError(step, limits, peakMb()));
              if (message.ok) return resolve({ output: message.output, peakMemoryMb: peakMb() });
              reject(new LambdaRuntimeError(message.error?.name ?? 'Error', message.error?.message ?? 'unknown error'));
            });
            break;
        }
      };
      const onExit = (): void =>
        settle(() => {
          if (ended === 'timeout') return reject(lambdaTimeoutError(step, limits));
          if (ended === 'memory' || /heap out of memory|Reached heap limit/.test(this.stderr)) return reject(lambdaOutOfMemoryError(step, limits, peakMb() || null));
          reject(lambdaExitError(step, this.describeExit()));
        });
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send(invocation);
    });
  }

  private describeExit(): string {
    const last = this.stderr.trim().split('\n').slice(-3).join(' ').trim();
    const how = this.child.signalCode ? `signal ${this.child.signalCode}` : `exit code ${this.child.exitCode}`;
    return `${how}${last ? `: ${last}` : ''}`;
  }
}

/** Warm sandboxes by function and memory size, shared by every run in this process. */
const warm = new Map<string, Sandbox[]>();

export class ProcessStepExecutor implements StepExecutor {
  private readonly running = new Set<Sandbox>();

  constructor(private readonly options: ProcessExecutorOptions) {}

  async run(step: PipelineStep, input: unknown, limits: StepLimits): Promise<StepRun> {
    const key = `${step}:${limits.memoryMb}`;
    const idle = warm.get(key) ?? [];
    let sandbox = idle.pop();
    while (sandbox && !sandbox.alive) sandbox = idle.pop();
    sandbox ??= new Sandbox(await stepHostBundle(), limits.memoryMb);
    this.running.add(sandbox);
    const name = this.options.functionName(step);
    try {
      const run = await sandbox.invoke(
        step,
        limits,
        {
          type: 'invoke',
          step,
          input,
          spec: this.options.spec,
          functionName: name,
          functionArn: localFunctionArn(name),
          memoryMb: limits.memoryMb,
          timeoutMs: limits.timeoutSeconds * 1000,
        },
        { log: this.options.log, checkpoint: this.options.checkpoint, enforce: this.options.enforceMemory ?? true },
      );
      this.keepWarm(key, sandbox);
      return run;
    } catch (error) {
      // A handled error leaves the sandbox as good as before; a killed or crashed one is gone.
      if (error instanceof LambdaRuntimeError && /^(Runtime|Sandbox)\./.test(error.name)) sandbox.kill();
      else this.keepWarm(key, sandbox);
      throw error;
    } finally {
      this.running.delete(sandbox);
    }
  }

  private keepWarm(key: string, sandbox: Sandbox): void {
    if (!sandbox.alive) return;
    const list = warm.get(key) ?? [];
    warm.set(key, list);
    list.push(sandbox);
    sandbox.park(() => {
      const at = list.indexOf(sandbox);
      if (at >= 0) list.splice(at, 1);
    });
  }

  /** Ends the invocations still in flight (the execution is over); warm sandboxes stay. */
  async stop(): Promise<void> {
    for (const sandbox of this.running) sandbox.kill();
    this.running.clear();
  }
}
