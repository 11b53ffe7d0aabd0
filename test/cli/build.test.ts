import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { runCli } from '../support/cli.js';
import { listFiles, tempDir } from '../support/temp.js';

type Line = { timestamp: string; channel: string; endpoint?: string; event: string };

const dump = (e: Line) =>
  `{"timestamp": ${JSON.stringify(e.timestamp)}, "channel": ${JSON.stringify(e.channel)}, ${e.endpoint === undefined ? '' : `"endpoint": ${JSON.stringify(e.endpoint)}, `}"event": ${JSON.stringify(e.event)}}`;

async function writeDay(input: string, day: string, lines: Array<Line | string>, mtime?: Date): Promise<void> {
  const file = path.join(input, 'events', 'prod', day);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, lines.map((l) => (typeof l === 'string' ? l : dump(l)) + '\n').sort().join(''));
  if (mtime) await fs.utimes(file, mtime, mtime);
}

const at = (day: string, hh: string, event = 'outgoing_call', channel = 'PJSIP/655-0001'): Line => ({
  timestamp: `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)}T${hh}:00:00+00:00`,
  channel,
  endpoint: channel.replace(/^PJSIP\/(\d+)-.*$/, '$1'),
  event,
});

async function setup(): Promise<{ input: string; out: string; root: string }> {
  const root = await tempDir();
  const input = path.join(root, 'bucket');
  const out = path.join(root, 'site', 'data');
  const old = new Date('2025-04-02T00:00:00Z');
  await writeDay(input, '20250301', [at('20250301', '10'), at('20250301', '11', 'ivr')], old);
  await writeDay(input, '20250302', [at('20250302', '09')], old);
  await writeDay(input, '20250401', [at('20250401', '08', 'operator')], old);
  return { input, out, root };
}

async function build(input: string, out: string, ...extra: string[]) {
  const result = await runCli(['build', '--input', input, '--out', out, '--json', ...extra]);
  return { ...result, summary: result.stdout ? JSON.parse(result.stdout) : null };
}

describe('usage-pipeline build: incremental runs', () => {
  it('rebuilds only the changed day, its month, the event list and the state files', async () => {
    const { input, out } = await setup();
    const first = await build(input, out);
    expect(first.code).toBe(0);
    expect(first.summary).toMatchObject({ daysScanned: 3, daysRebuilt: 3, monthsRebuilt: 2, events: 4 });

    const second = await build(input, out);
    expect(second.summary).toMatchObject({ daysRebuilt: 0, filesWritten: 0 });

    await writeDay(input, '20250302', [at('20250302', '09'), at('20250302', '12', 'new_event')], new Date('2025-04-03T00:00:00Z'));
    const before = await fs.stat(path.join(out, 'date/2025/04.json'));
    const third = await build(input, out);
    expect(third.summary.daysRebuilt).toBe(1);
    expect([...third.summary.written].sort()).toEqual(
      [
        'date/2025/03/20250302.json',
        'date/2025/03.json',
        'event-list.json',
        'last_updated.txt',
        'summary/date/2025/03.json',
        'summary/index.json',
        'summary/series/events.json',
        'summary/series/channels.json',
        'summary/series/total.json',
        'updated_state.json',
      ].sort(),
    );
    // Untouched files keep their modification time: they were not rewritten.
    expect((await fs.stat(path.join(out, 'date/2025/04.json'))).mtimeMs).toBe(before.mtimeMs);
    expect(JSON.parse(await fs.readFile(path.join(out, 'event-list.json'), 'utf8'))).toEqual(['ivr', 'new-event', 'operator', 'outgoing-call']);
    expect(await fs.readFile(path.join(out, 'last_updated.txt'), 'utf8')).toBe('2025-04-03 00:00:00+00:00');
    const month = JSON.parse(await fs.readFile(path.join(out, 'date/2025/03.json'), 'utf8'));
    expect(month.map((e: Line) => e.event)).toEqual(['outgoing-call', 'ivr', 'outgoing-call', 'new-event']);
  });

  it('reports where its time went: the months by phase, nothing for a run with nothing to build', async () => {
    const { input, out } = await setup();
    const first = (await build(input, out)).summary;
    expect(Object.keys(first.timings).sort()).toEqual(['finish', 'monthPhases', 'months', 'plan', 'startup']);
    // Two months read, scanned and written: each of those took some of the time (counting
    // four events may take less than the microsecond the figures are rounded to).
    for (const phase of ['read', 'scan', 'write']) expect(first.timings.monthPhases[phase]).toBeGreaterThan(0);
    expect(first.timings.monthPhases.summary).toBeGreaterThanOrEqual(0);
    expect(first.timings.months).toBeGreaterThan(0);
    const second = (await build(input, out)).summary;
    expect(second.daysRebuilt).toBe(0);
    expect(second.timings.monthPhases).toEqual({ read: 0, scan: 0, write: 0, summary: 0 });
  });

  it('reports its own peak memory, not that of the process that started it', async () => {
    const { input, out } = await setup();
    // A starting process larger than any build here: the command begins as its copy.
    const ballast = Buffer.alloc(400 * 1024 * 1024, 1);
    try {
      const { summary } = await build(input, out);
      expect(summary.peakRssMb).toBeLessThan(300);
    } finally {
      expect(ballast.length).toBeGreaterThan(0);
    }
  });

  it('makes the all-time files from every month summary on the site, not only the months it built', async () => {
    const { input, out } = await setup();
    await build(input, out);
    const before = JSON.parse(await fs.readFile(path.join(out, 'summary/index.json'), 'utf8'));
    // April's daily object is gone: --force rebuilds March from nothing, April's files stay.
    await fs.rm(path.join(input, 'events', 'prod', '20250401'));
    const forced = await build(input, out, '--force');
    expect(forced.code).toBe(0);
    const after = JSON.parse(await fs.readFile(path.join(out, 'summary/index.json'), 'utf8'));
    expect(Object.keys(after.months)).toEqual(['202503', '202504']);
    expect(after).toEqual({ ...before, lastUpdated: after.lastUpdated });
  });

  it('treats a key removed from updated_state.json as a day to rebuild, like the old generator', async () => {
    const { input, out } = await setup();
    await build(input, out);
    const statePath = path.join(out, 'updated_state.json');
    const state = JSON.parse(await fs.readFile(statePath, 'utf8'));
    delete state['events/prod/20250401'];
    await fs.writeFile(statePath, JSON.stringify(state, null, 2));
    const result = await build(input, out);
    expect(result.summary.daysRebuilt).toBe(1);
    expect(Object.keys(JSON.parse(await fs.readFile(statePath, 'utf8')))).toEqual(['events/prod/20250301', 'events/prod/20250302', 'events/prod/20250401']);
  });

  it('rebuilds a day whose shard was deleted, and --days / --force on demand', async () => {
    const { input, out } = await setup();
    await build(input, out);
    await fs.rm(path.join(out, 'date/2025/03/20250301.json'));
    expect((await build(input, out)).summary.written).toContain('date/2025/03/20250301.json');
    expect((await build(input, out, '--days', '2025-04-01')).summary).toMatchObject({ daysRebuilt: 1, filesWritten: 0 });
    expect((await build(input, out, '--force')).summary).toMatchObject({ daysRebuilt: 3, filesWritten: 0 });
  });

  it('updates the all-time summary files to exactly what a build from nothing makes, even after a crash between a month summary and them', async () => {
    const { input, out, root } = await setup();
    const summaryFiles = async (dir: string) => Object.fromEntries(await Promise.all((await listFiles(path.join(dir, 'summary'))).map(async (f) => [f, await fs.readFile(path.join(dir, 'summary', f), 'utf8')])));
    const fresh = async () => {
      const dir = path.join(root, `fresh-${Math.random().toString(36).slice(2)}`);
      await build(input, dir);
      return summaryFiles(dir);
    };
    await build(input, out);
    await writeDay(input, '20250302', [at('20250302', '09'), at('20250302', '12', 'new_event', 'PJSIP/630-0002')], new Date('2025-04-03T00:00:00Z'));
    await build(input, out);
    expect(await summaryFiles(out)).toEqual(await fresh());

    // As if a run had crashed after writing March's summary but before the all-time files:
    // March's summary on the site is not the one the index was made from.
    const march = path.join(out, 'summary/date/2025/03.json');
    const previous = JSON.parse(await fs.readFile(march, 'utf8'));
    previous.total[0] += 5;
    (Object.values(previous.events)[0] as number[])[1]! += 5;
    await fs.writeFile(march, JSON.stringify(previous));
    await writeDay(input, '20250301', [at('20250301', '10'), at('20250301', '11', 'operator')], new Date('2025-04-04T00:00:00Z'));
    await build(input, out);
    expect(await summaryFiles(out)).toEqual(await fresh());
  });

  it('prints a readable summary without --json', async () => {
    const { input, out } = await setup();
    const result = await runCli(['build', '--input', input, '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^scanned 3 days; rebuilt 3 days in 2 month\(s\)\nwrote \d+ files \([\d.]+ KiB\), deleted 0\n4 events from [\d.]+ B in [\d.]+ s/);
  });
});

describe('usage-pipeline build: bad input', () => {
  it('reports each malformed line with file, line number and reason, builds the rest, and exits 2', async () => {
    const { input, out } = await setup();
    await writeDay(input, '20250303', [at('20250303', '01'), 'this is not json', '{"timestamp": "2025-03-03T02:00:00Z", "event": "x"}']);
    const result = await build(input, out);
    expect(result.code).toBe(2);
    expect(result.summary.rejected).toBe(2);
    expect(result.summary.rejections).toEqual([
      { file: 'events/prod/20250303', line: 1, reason: 'not JSON: Expecting value at character 0', text: 'this is not json' },
      { file: 'events/prod/20250303', line: 3, reason: 'no "channel"', text: '{"timestamp": "2025-03-03T02:00:00Z", "event": "x"}' },
    ]);
    expect(JSON.parse(await fs.readFile(path.join(out, 'date/2025/03/20250303.json'), 'utf8'))).toHaveLength(1);
    const text = await runCli(['build', '--input', input, '--out', out, '--days', '20250303']);
    expect(text.code).toBe(2);
    expect(text.stdout).toContain('rejected events/prod/20250303:1: not JSON: Expecting value at character 0');
  });

  it.each([
    ['a missing input directory', async (root: string) => path.join(root, 'missing'), /^usage-pipeline: input directory .*missing does not exist\n$/],
    ['an input without events/prod', async (root: string) => root, /^usage-pipeline: .*events\/prod\/ does not exist: --input must be a copy of the bucket/],
  ])('refuses %s with one line, a non-zero exit, and writes nothing', async (_label, makeInput, message) => {
    const root = await tempDir();
    const out = path.join(root, 'out');
    const result = await runCli(['build', '--input', await makeInput(root), '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    await expect(fs.stat(out)).rejects.toThrow('ENOENT');
  });

  it('refuses an unreadable daily object (a dangling link) before writing anything', async () => {
    const { input, out } = await setup();
    const file = path.join(input, 'events/prod/20250302');
    await fs.rm(file);
    await fs.symlink(path.join(input, 'nowhere'), file);
    const result = await runCli(['build', '--input', input, '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^usage-pipeline: cannot read .*events\/prod\/20250302: ENOENT\n$/);
    await expect(fs.stat(out)).rejects.toThrow('ENOENT');
  });

  it('refuses a corrupt updated_state.json and leaves the site as it was', async () => {
    const { input, out } = await setup();
    await fs.mkdir(out, { recursive: true });
    await fs.writeFile(path.join(out, 'updated_state.json'), '{"events/prod/20250301": ');
    const result = await runCli(['build', '--input', input, '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/updated_state.json: .*not valid JSON/);
    expect(await listFiles(out)).toEqual(['updated_state.json']);
  });

  it('refuses bad options with a one-line error', async () => {
    const { input, out } = await setup();
    for (const [flag, value, message] of [
      ['--layouts', 'date,bogus', /--layouts: unknown layout "bogus"/],
      ['--days', '20250230', /--days: "20250230" is not a real date/],
      ['--days', '20250305', /no daily object for 20250305/],
    ] as const) {
      const result = await runCli(['build', '--input', input, '--out', out, flag, value]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(message);
    }
  });
});

describe('usage-pipeline build: channel and event layouts with hostile names', () => {
  const hostile = ['../x', 'a/b', '', 'x'.repeat(1024), 'tab\there\u0007', '\u{1F4DE}\u{1F600}', '..', '.', '%2e%2e'];

  it('writes every file inside data/, one file per name, and cleans up names a day loses', async () => {
    const root = await tempDir();
    const input = path.join(root, 'bucket');
    const out = path.join(root, 'site', 'data');
    const lines: Line[] = hostile.flatMap((name, i) => [
      { timestamp: `2025-03-01T00:00:${String(i).padStart(2, '0')}Z`, channel: `PJSIP/${i}-1`, endpoint: name, event: 'ok' },
      { timestamp: `2025-03-01T01:00:${String(i).padStart(2, '0')}Z`, channel: 'PJSIP/7-1', endpoint: '7', event: name },
    ]);
    await writeDay(input, '20250301', lines);
    const result = await build(input, out, '--layouts', 'date,channel,event');
    expect(result.code).toBe(0);

    const everything = await listFiles(root);
    for (const file of everything) expect(file.startsWith('bucket/') || file.startsWith('site/data/')).toBe(true);
    const channelDirs = await fs.readdir(path.join(out, 'channel'));
    // One directory per distinct channel: the hostile names (empty endpoint falls back to the channel) and "7".
    expect(channelDirs).toHaveLength(hostile.length + 1);
    const eventDirs = await fs.readdir(path.join(out, 'events'));
    expect(eventDirs).toHaveLength(hostile.length + 1);
    for (const dir of [...channelDirs, ...eventDirs]) expect(dir).toMatch(/^[A-Za-z0-9_.%~-]+$/);

    // Each per-event file holds exactly that event's entries.
    const day = JSON.parse(await fs.readFile(path.join(out, 'date/2025/03/20250301.json'), 'utf8')) as Line[];
    for (const dir of eventDirs) {
      const entries = JSON.parse(await fs.readFile(path.join(out, 'events', dir, 'date/2025/03/20250301.json'), 'utf8')) as Line[];
      expect(new Set(entries.map((e) => e.event)).size).toBe(1);
      expect(entries).toEqual(day.filter((e) => e.event === entries[0]!.event));
      const pairs = await fs.readdir(path.join(out, 'events', dir, 'channels'));
      const all = (await Promise.all(pairs.map(async (p) => JSON.parse(await fs.readFile(path.join(out, 'events', dir, 'channels', p), 'utf8'))))).flat();
      expect(all).toHaveLength(entries.length);
    }

    // The day loses every hostile event (its daily object shrinks, so only an explicit rebuild of
    // the day accepts it): their per-day and pair files go.
    await writeDay(input, '20250301', lines.filter((l) => l.event === 'ok'), new Date('2030-01-01T00:00:00Z'));
    const second = await build(input, out, '--layouts', 'date,channel,event', '--days', '20250301');
    expect(second.summary.filesDeleted).toBeGreaterThan(0);
    const remaining = (await listFiles(path.join(out, 'events'))).map((f) => f.split('/')[0]);
    expect(new Set(remaining)).toEqual(new Set(['ok']));
  });
});

describe('usage-pipeline build: worker threads', () => {
  it('builds a history from nothing on worker threads with the same bytes as in one thread', async () => {
    const root = await tempDir();
    const input = path.join(root, 'bucket');
    // Enough days for the pool, across three months; one old-shape day that normalisation rewrites.
    const start = Date.UTC(2025, 0, 20);
    for (let d = 0; d < 70; d++) {
      const day = new Date(start + d * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
      const lines: Array<Line | string> = [at(day, '09', 'outgoing_call', `PJSIP/6${d % 10}5-0001`), at(day, '10', 'ivr')];
      if (d === 3) lines.push(`{"timestamp": "${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)}T11:00:00-08:00", "channel": "SIP/630-0000011f", "event": "filter_dial"}`);
      await writeDay(input, day, lines, new Date('2025-04-02T00:00:00Z'));
    }
    const threaded = path.join(root, 'threaded');
    const inline = path.join(root, 'inline');
    const pooled = await build(input, threaded);
    const single = await build(input, inline, '--threads', '0');
    expect(pooled.summary).toMatchObject({ daysRebuilt: 70, monthsRebuilt: 3 });
    expect(pooled.summary.threads).toBeGreaterThan(0);
    expect(single.summary.threads).toBe(0);
    const files = await listFiles(inline);
    expect(await listFiles(threaded)).toEqual(files);
    for (const file of files) {
      const [a, b] = await Promise.all([fs.readFile(path.join(threaded, file)), fs.readFile(path.join(inline, file))]);
      expect({ file, same: a.equals(b) }).toEqual({ file, same: true });
    }
  });
});
