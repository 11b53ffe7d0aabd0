/**
 * The randomized crash harness: a real `usage-pipeline local` run (SNS → SQS → the state
 * machine → git), killed with SIGKILL at a random moment or at a checkpoint inside a step, then
 * recovered by running the same command again, must leave exactly what a clean run leaves:
 * the same daily objects, the same files on the branch (but for the ones that carry the run's
 * time), and nothing half-done in the bucket.
 *
 * The recovery run sends the same events again: the embedded default's queue lives in the
 * killed process, so events it had not yet staged die with it (in AWS they stay in SQS).
 * Replaying them is safe by design: merging is a set union.
 */
import { execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CHECKPOINTS } from '../../functions/pipeline/deps.js';
import { seededRandom } from '../../functions/core/random.js';
import { listFiles, tempDir } from '../support/temp.js';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const git = promisify(execFile);
const CLI = path.join(PROJECT_ROOT, 'bin', 'usage-pipeline.mjs');

/** Files whose content is the time of the run (the daily objects' modification times). */
export const TIME_CARRYING_FILES = new Set(['data/updated_state.json', 'data/last_updated.txt', 'data/summary/index.json']);

export type CrashTrial =
  | { readonly kind: 'moment'; readonly afterMs: number }
  | { readonly kind: 'checkpoint'; readonly point: string }
  /** As soon as a path under the home exists (e.g. the first shard in the bucket's site mirror). */
  | { readonly kind: 'when-exists'; readonly path: string };

export interface HarnessOptions {
  /** Generated events per run (over three days). */
  readonly events: number;
  readonly seed: number;
}

export interface Reference {
  readonly options: HarnessOptions;
  readonly tree: ReadonlyMap<string, string>;
  readonly dailyObjects: ReadonlyMap<string, string>;
  readonly milliseconds: number;
}

export interface TrialResult {
  readonly trial: CrashTrial;
  /** Whether the kill landed before the run finished on its own. */
  readonly killed: boolean;
  /** Everything in which the recovered home differs from the clean run's; empty is a pass. */
  readonly differences: readonly string[];
}

function localRun(home: string, options: HarnessOptions, env: NodeJS.ProcessEnv = {}) {
  return spawn(process.execPath, [CLI, 'local', '--home', home, '--generate', String(options.events), '--seed', String(options.seed), '--json', '--lock-wait', '60'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function finished(child: ReturnType<typeof localRun>): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

async function branchTree(home: string): Promise<Map<string, string>> {
  const tree = new Map<string, string>();
  try {
    const { stdout } = await git('git', ['-C', path.join(home, 'site'), 'ls-tree', '-r', 'gh-pages'], { maxBuffer: 64 * 1024 * 1024 });
    for (const line of stdout.split('\n').filter(Boolean)) {
      const [meta, file] = line.split('\t') as [string, string];
      tree.set(file, meta.split(' ')[2] as string);
    }
  } catch {
    // No branch yet.
  }
  return tree;
}

async function dailyObjects(home: string): Promise<Map<string, string>> {
  const prod = path.join(home, 'bucket', 'events', 'prod');
  const files = await listFiles(prod).catch(() => [] as string[]);
  return new Map(await Promise.all(files.map(async (file) => [file, await fs.readFile(path.join(prod, file), 'utf8')] as [string, string])));
}

export async function prepareReference(options: HarnessOptions): Promise<Reference> {
  const home = await tempDir('usage-pipeline-crash-ref-');
  const started = performance.now();
  const run = await finished(localRun(home, options));
  if (run.code !== 0) throw new Error(`the clean run failed (exit ${run.code}): ${run.stderr || run.stdout}`);
  return { options, tree: await branchTree(home), dailyObjects: await dailyObjects(home), milliseconds: performance.now() - started };
}

export async function runTrial(reference: Reference, trial: CrashTrial): Promise<TrialResult> {
  const home = await tempDir('usage-pipeline-crash-');
  const child = localRun(home, reference.options, trial.kind === 'checkpoint' ? { USAGE_CRASH_AT: trial.point } : {});
  const timer = trial.kind === 'moment' ? setTimeout(() => child.kill('SIGKILL'), trial.afterMs) : undefined;
  const watch = trial.kind === 'when-exists' ? setInterval(() => void fs.stat(path.join(home, trial.path)).then(() => child.kill('SIGKILL'), () => undefined), 5) : undefined;
  const crashed = await finished(child);
  clearTimeout(timer);
  clearInterval(watch);
  const killed = crashed.signal === 'SIGKILL';
  const differences: string[] = [];
  if (!killed && crashed.code !== 0) differences.push(`the crashed run failed without being killed (exit ${crashed.code}): ${crashed.stderr.trim().split('\n').at(-1)}`);

  const recovery = await finished(localRun(home, reference.options));
  if (recovery.code !== 0) differences.push(`the recovery run failed (exit ${recovery.code}): ${(recovery.stderr || recovery.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  differences.push(...compareTrees(reference.tree, await branchTree(home)));
  const objects = await dailyObjects(home);
  for (const [day, text] of reference.dailyObjects) if (objects.get(day) !== text) differences.push(`daily object ${day} differs from the clean run's`);
  for (const day of objects.keys()) if (!reference.dailyObjects.has(day)) differences.push(`daily object ${day} should not exist`);
  for (const prefix of ['staging', 'state']) {
    const left = await listFiles(path.join(home, 'bucket', prefix)).catch(() => [] as string[]);
    if (left.length > 0) differences.push(`bucket ${prefix}/ still holds ${left.slice(0, 3).join(', ')}`);
  }
  if (differences.length === 0) await fs.rm(home, { recursive: true, force: true });
  else differences.push(`(home kept for inspection: ${home})`);
  return { trial, killed, differences };
}

function compareTrees(expected: ReadonlyMap<string, string>, actual: ReadonlyMap<string, string>): string[] {
  const differences: string[] = [];
  for (const [file, blob] of expected) {
    if (TIME_CARRYING_FILES.has(file)) {
      if (!actual.has(file)) differences.push(`${file} is missing from the branch`);
      continue;
    }
    const found = actual.get(file);
    if (found === undefined) differences.push(`${file} is missing from the branch`);
    else if (found !== blob) differences.push(`${file} differs from the clean run's`);
  }
  for (const file of actual.keys()) if (!expected.has(file)) differences.push(`${file} should not be on the branch`);
  return differences;
}

/** Trials from a seed: a mix of kills at random moments and at random checkpoints. */
/** The checkpoints a clean run passes (RecordFailure runs only after a failure, which a clean run never has). */
const ON_A_CLEAN_RUN = CHECKPOINTS.filter((point) => !point.startsWith('record-failure:'));

export function randomTrials(reference: Reference, count: number, seed: number): CrashTrial[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (): CrashTrial =>
    random() < 0.5
      ? { kind: 'moment', afterMs: Math.round(random() * reference.milliseconds) }
      : { kind: 'checkpoint', point: ON_A_CLEAN_RUN[Math.floor(random() * ON_A_CLEAN_RUN.length)] as string },
  );
}

export function describeTrial(trial: CrashTrial): string {
  if (trial.kind === 'moment') return `SIGKILL after ${trial.afterMs} ms`;
  return trial.kind === 'checkpoint' ? `SIGKILL at ${trial.point}` : `SIGKILL as soon as ${trial.path} exists`;
}
