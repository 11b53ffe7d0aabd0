/**
 * How `usage-pipeline` reports what went wrong after the fact: a failed run keeps the counts it
 * drained, and a corrupt run record is named, in one line, never with a stack trace.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { runCli } from '../support/cli.js';
import { bucketKeys } from '../support/pipeline.js';
import { tempDir } from '../support/temp.js';

async function firstRun(): Promise<string> {
  const home = path.join(await tempDir(), 'home');
  const result = await runCli(['local', '--home', home, '--generate', '50', '--json']);
  expect(result.code).toBe(0);
  return home;
}

describe('a run that fails after draining', () => {
  it('reports the counts it drained, and its failure in one line', async () => {
    const home = await firstRun();
    // The bucket's copy of the site cannot take the day shards: the build step fails.
    const dates = path.join(home, 'bucket', 'site', 'data', 'date');
    await fs.rm(dates, { recursive: true });
    await fs.writeFile(dates, 'in the way');

    const result = await runCli(['local', '--home', home, '--generate', '60', '--seed', '2', '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ status: 'FAILED', received: 60 });
    expect(report.kept + report.malformed + Object.values(report.dropped as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(60);
    expect(report.kept).toBeGreaterThan(50);
    expect(JSON.stringify(report.failure)).not.toMatch(/\\n\s+at /);

    const text = await runCli(['local', '--home', home, '--generate', '60', '--seed', '3']);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^run \S+ \(scheduled\): FAILED\nreceived 60, kept \d+,/);
    expect(text.stdout.split('\n').filter((line) => line.startsWith('failure: '))).toHaveLength(1);
    expect(text.stdout + text.stderr).not.toMatch(/\n\s+at /);

    // The run's own record keeps the counts too, for the status command and the monitor.
    const failures = (await bucketKeys(path.join(home, 'bucket'), 'runs')).filter((key) => key.endsWith('failure.json'));
    expect(failures).toHaveLength(2);
    const recorded = await Promise.all(failures.map(async (key) => JSON.parse(await fs.readFile(path.join(home, 'bucket', key), 'utf8'))));
    expect(recorded.map((record) => record.drained?.received)).toEqual([60, 60]);
  });
});

describe('a corrupt run record', () => {
  it.each([['report.json'], ['failure.json']])('%s: status names the file in one line, no stack trace', async (name) => {
    const home = await firstRun();
    const runs = path.join(home, 'bucket', 'runs');
    const [runId] = await fs.readdir(runs);
    const file = path.join(runs, runId as string, name);
    await fs.rm(path.join(runs, runId as string, 'report.json'));
    await fs.writeFile(file, '{"runId": ');

    const result = await runCli(['status', '--home', home]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('');
    const problems = result.stdout.split('\n').filter((line) => line.startsWith('PROBLEM: '));
    expect(problems).toContain(`PROBLEM: the run record ${file} is corrupt: not valid JSON (Unexpected end of JSON input)`);
    expect(result.stdout).not.toMatch(/\n\s+at /);
    const json = JSON.parse((await runCli(['status', '--home', home, '--json'])).stdout);
    expect(json.lastRun).toMatchObject({ runId, status: name === 'report.json' ? 'SUCCEEDED' : 'FAILED' });
  });
});
