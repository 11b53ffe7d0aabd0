/** Messages between the local runner and a step running in a process of its own (step-host.ts). */
import type { PipelineStep } from '../../functions/config/functions.js';
import type { CheckpointName } from '../../functions/pipeline/deps.js';
import type { LocalDepsSpec } from './local-deps.js';

export interface InvokeMessage {
  readonly type: 'invoke';
  readonly step: PipelineStep;
  readonly input: unknown;
  readonly spec: LocalDepsSpec;
  readonly functionName: string;
  readonly functionArn: string;
  readonly memoryMb: number;
  readonly timeoutMs: number;
}

export type HostMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'log'; readonly level: 'debug' | 'info' | 'warn' | 'error'; readonly message: string; readonly extra: Record<string, unknown> }
  | { readonly type: 'checkpoint'; readonly id: number; readonly name: CheckpointName }
  | {
      readonly type: 'result';
      readonly ok: boolean;
      readonly output?: unknown;
      readonly error?: { readonly name: string; readonly message: string };
      /** The process's own peak resident set size (support/resident-memory.ts). */
      readonly peakRssKb: number;
    };
