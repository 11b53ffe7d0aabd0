import { promises as fs } from 'node:fs';
import path from 'node:path';
import { beforeAll, expect, it } from '@jest/globals';
import { runBuild } from '../../functions/generator/run-build.js';
import { runCli } from '../support/cli.js';
import { describeWithFixtures, fixture } from '../support/fixtures.js';
import { listFiles, tempDir } from '../support/temp.js';

describeWithFixtures('futel-2025-03: the real March 2025 builds byte for byte', () => {
  const input = fixture('futel-2025-03', 'input');
  const expectedRoot = fixture('futel-2025-03', 'expected', 'data');
  let out: string;
  let expectedFiles: string[];

  beforeAll(async () => {
    out = path.join(await tempDir(), 'data');
    expectedFiles = await listFiles(expectedRoot);
    const result = await runCli(['build', '--input', input, '--out', out, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('writes every expected file (31 day shards and the month rollup) with identical bytes', async () => {
    expect(expectedFiles).toHaveLength(32);
    for (const file of expectedFiles) {
      const [actual, expected] = await Promise.all([fs.readFile(path.join(out, file)), fs.readFile(path.join(expectedRoot, file))]);
      expect({ file, same: actual.equals(expected) }).toEqual({ file, same: true });
    }
  });

  it('also gives the same bytes when built on worker threads', async () => {
    const threaded = path.join(await tempDir(), 'data');
    const summary = await runBuild({ input, out: threaded, layouts: ['date'], threads: 2 });
    expect(summary.threads).toBe(2);
    for (const file of expectedFiles) {
      const [actual, expected] = await Promise.all([fs.readFile(path.join(threaded, file)), fs.readFile(path.join(expectedRoot, file))]);
      expect({ file, same: actual.equals(expected) }).toEqual({ file, same: true });
    }
  });

  it('writes the state, freshness and event list the web UI reads', async () => {
    const state = JSON.parse(await fs.readFile(path.join(out, 'updated_state.json'), 'utf8'));
    expect(Object.keys(state)).toHaveLength(31);
    expect(Object.keys(state)[0]).toBe('events/prod/20250301');
    const inputStat = await fs.stat(path.join(input, 'events', 'prod', '20250301'));
    expect(state['events/prod/20250301'].size).toBe(inputStat.size);
    const lastUpdated = await fs.readFile(path.join(out, 'last_updated.txt'), 'utf8');
    expect(lastUpdated).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$/);
    expect(lastUpdated).toBe(Object.values<{ ts: string }>(state).map((e) => e.ts).sort().at(-1));
    const events: string[] = JSON.parse(await fs.readFile(path.join(out, 'event-list.json'), 'utf8'));
    expect(events).toEqual([...events].sort());
    expect(events).toContain('outgoing-portland');
    expect(events.some((e) => e.includes('_'))).toBe(false);
  });

  it('rebuilds nothing on a second run', async () => {
    const result = await runCli(['build', '--input', input, '--out', out, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ daysScanned: 31, daysRebuilt: 0, filesWritten: 0 });
  });
});
