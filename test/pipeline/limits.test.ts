/**
 * The local runner holds an execution to a Standard workflow's and Lambda's limits
 * (../shared/LIMITS.md), and the pipeline stays within them at any history size.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { runEmbedded } from '../../local/runner/embedded.js';
import { pipelineFunctionLimits } from '../../local/runner/function-limits.js';
import { runPipelineLocally, type StepExecutor, type StepRun } from '../../local/runner/state-machine.js';
import type { PipelineStep } from '../../functions/config/functions.js';
import { commitsOnBranch, fileOnBranch } from '../support/pipeline.js';
import { tempDir } from '../support/temp.js';

/** Answers each Task with a canned result: the runner, not the steps, is under test. */
class CannedExecutor implements StepExecutor {
  readonly calls: PipelineStep[] = [];
  constructor(private readonly results: Partial<Record<PipelineStep, unknown>>) {}
  async run(step: PipelineStep): Promise<StepRun> {
    this.calls.push(step);
    return { output: this.results[step] ?? {}, peakMemoryMb: null };
  }
  async stop(): Promise<void> {}
}

const scheduledRun = (extra: Partial<Record<PipelineStep, unknown>>) =>
  new CannedExecutor({
    'begin-run': { runId: 'r1', acquired: true, mode: { kind: 'scheduled' }, startedAt: '2025-03-02T00:00:00.000Z' },
    drain: { more: false, iteration: 1, totals: {} },
    'list-staged': { months: ['202503'], days: 1 },
    'detect-changes': { months: ['202503'], days: 1 },
    'finish-run': { runId: 'r1' },
    ...extra,
  });

function months(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${2000 + Math.floor(i / 12)}${String((i % 12) + 1).padStart(2, '0')}`);
}

describe('the local runner enforces a Standard workflow\'s limits', () => {
  it('counts history events as Step Functions records them', async () => {
    const result = await runPipelineLocally({ executor: scheduledRun({}), functionLimits: pipelineFunctionLimits(), input: {}, executionName: 'r1' });
    expect(result.status).toBe('SUCCEEDED');
    // Start and end 2; seven Tasks at 5; four Choice/Pass states at 2; two Maps at 4, each with one iteration of 7.
    expect(result.stats.historyEvents).toBe(2 + 7 * 5 + 4 * 2 + 2 * (4 + 7));
  });

  it('fails an execution whose task result is over 256 KiB, naming the state, the size and the limit', async () => {
    const executor = scheduledRun({ 'detect-changes': { months: ['202503'], days: 1, padding: 'x'.repeat(300 * 1024) } });
    const result = await runPipelineLocally({ executor, functionLimits: pipelineFunctionLimits(), input: {}, executionName: 'r1' });
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', terminal: true });
    if (result.status !== 'FAILED') return;
    expect(result.cause).toMatch(/^the result of DetectChanges is 3072\d\d bytes, over Step Functions' payload limit of 262144 bytes \(256 KiB\)/);
    // Terminal: not caught by States.ALL, so nothing after it ran.
    expect(executor.calls).not.toContain('build-month');
    expect(executor.calls).not.toContain('record-failure');
  });

  it('fails an execution whose state output grows over 256 KiB from results that each fit', async () => {
    const executor = scheduledRun({
      drain: { more: false, iteration: 1, totals: {}, note: 'y'.repeat(150 * 1024) },
      'list-staged': { months: ['202503'], days: 1, note: 'z'.repeat(150 * 1024) },
    });
    const result = await runPipelineLocally({ executor, functionLimits: pipelineFunctionLimits(), input: {}, executionName: 'r1' });
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    if (result.status === 'FAILED') expect(result.cause).toMatch(/^the output of ListStagedDays is 3\d{5} bytes, over Step Functions' payload limit/);
    expect(executor.calls).not.toContain('detect-changes');
  });

  it('fails an execution past 25,000 history events, naming the count and the limit', async () => {
    const executor = scheduledRun({ 'detect-changes': { months: months(3_600), days: 3_600 } });
    const result = await runPipelineLocally({ executor, functionLimits: pipelineFunctionLimits(), input: {}, executionName: 'r1', retryIntervalMs: 1 });
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.Runtime', terminal: true });
    if (result.status === 'FAILED') expect(result.cause).toMatch(/^the execution's history reached 25\d\d\d events, over a Standard workflow's limit of 25000/);
  });

  it('checks nothing with the limits turned off', async () => {
    const executor = scheduledRun({ 'detect-changes': { months: ['202503'], days: 1, padding: 'x'.repeat(300 * 1024) } });
    const result = await runPipelineLocally({ executor, functionLimits: pipelineFunctionLimits(), limits: { payloadBytes: null, historyEvents: null }, input: {}, executionName: 'r1' });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.stats.largestPayload.bytes).toBeGreaterThan(300 * 1024);
  });
});

/** A day's daily object with a few events, as the drainer writes it. */
function dailyObject(day: string, events: number): string {
  const iso = `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}`;
  const lines = Array.from({ length: events }, (_, i) => {
    const time = `${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00`;
    return `{"timestamp": "${iso}T${time}+00:00", "channel": "PJSIP/6${i % 10}0-0000011f", "endpoint": "6${i % 10}0", "event": "ivr"}`;
  });
  return `${[...new Set(lines)].sort().join('\n')}\n`;
}

async function homeWithDays(days: readonly string[], events = 3): Promise<string> {
  const home = await tempDir();
  const prod = path.join(home, 'bucket', 'events', 'prod');
  await fs.mkdir(prod, { recursive: true });
  await Promise.all(days.map((day) => fs.writeFile(path.join(prod, day), dailyObject(day, events))));
  return home;
}

function consecutiveDays(first: string, count: number): string[] {
  const start = Date.parse(`${first}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(start + i * 86_400_000).toISOString().slice(0, 10).replace(/-/g, ''));
}

describe('each step is held to its Lambda configuration', () => {
  it('kills a step over its configured memory as Runtime.OutOfMemory, naming the peak, the limit and the setting', async () => {
    const home = await homeWithDays(['20250301']);
    // A Node process needs more than 60 MB just to start: the build cannot fit.
    const report = await runEmbedded({ home, rebuildAll: true, functionLimits: { 'build-month': { memoryMb: 60 } } });
    expect(report.status).toBe('FAILED');
    expect(report.failure?.error).toBe('Runtime.OutOfMemory');
    expect(JSON.stringify(report.failure?.cause)).toMatch(/build-month used \d+ MB, over its configured Lambda memory of 60 MB.*functions\.build-month\.memoryMb/);
    expect(await commitsOnBranch(path.join(home, 'site'))).toEqual([]);
  });

  it('stops a step at its configured timeout as Sandbox.Timedout, naming the setting', async () => {
    const home = await homeWithDays(['20250301']);
    const report = await runEmbedded({ home, rebuildAll: true, functionLimits: { 'detect-changes': { timeoutSeconds: 0.01 } } });
    expect(report.status).toBe('FAILED');
    expect(report.failure?.error).toBe('Sandbox.Timedout');
    expect(JSON.stringify(report.failure?.cause)).toContain('detect-changes timed out after 0.01 s, its configured Lambda timeout (setting functions.detect-changes.timeoutSeconds)');
  });

  it('counts a step\'s own memory, not that of the process that started it', async () => {
    // A starting process as large as a long test run's worker: a step process begins as its copy.
    const ballast = Buffer.alloc(400 * 1024 * 1024, 1);
    try {
      const report = await runEmbedded({ home: await homeWithDays(['20250301']), rebuildAll: true });
      expect(report).toMatchObject({ status: 'SUCCEEDED' });
      expect(report.limits.steps['begin-run']?.peakMemoryMb).toBeLessThan(256);
    } finally {
      expect(ballast.length).toBeGreaterThan(0);
    }
  });

  it('reports each step\'s peak memory and duration against its configuration', async () => {
    const home = await homeWithDays(['20250301', '20250302']);
    const report = await runEmbedded({ home, rebuildAll: true });
    expect(report).toMatchObject({ status: 'SUCCEEDED' });
    const build = report.limits.steps['build-month'];
    expect(build).toMatchObject({ invocations: 1, memoryMb: 1024, timeoutSeconds: 300 });
    expect(build?.peakMemoryMb).toBeGreaterThan(20);
    expect(build?.peakMemoryMb).toBeLessThan(1024);
    expect(report.limits).toMatchObject({ enforced: true, historyEventLimit: 25_000, payloadLimitBytes: 262_144 });
  });
});

describe('the pipeline stays within the limits at any history size', () => {
  it('rebuilds 2,000 days in one execution, far under the history limit', async () => {
    const days = consecutiveDays('2020-01-01', 2_000);
    const home = await homeWithDays(days, 2);
    const report = await runEmbedded({ home, rebuildAll: true });
    expect(report).toMatchObject({ status: 'SUCCEEDED', mode: 'rebuild-all', daysBuilt: 2_000 });
    // 66 months: a Map iteration each, twice over (merge has none in a rebuild).
    expect(report.limits.historyEvents).toBeLessThan(1_000);
    expect(report.limits.largestPayload.bytes).toBeLessThan(8 * 1024);
    const site = path.join(home, 'site');
    expect((await fileOnBranch(site, `data/date/2020/01/20200101.json`)).toString()).toContain('"event": "ivr"');
    expect((await fileOnBranch(site, `data/date/${days.at(-1)!.slice(0, 4)}/${days.at(-1)!.slice(4, 6)}/${days.at(-1)}.json`)).length).toBeGreaterThan(2);
  });
});
