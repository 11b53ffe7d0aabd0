/**
 * The line index (assembly/line-index.ts, compiled to WebAssembly): the committed module is what
 * its source compiles to; its records place each line's timestamp and fields and number its
 * names across days; anything outside the drainer's shape is refused, and a day with more names
 * than its tables hold still gives the general path's shard.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { CHANNEL_IS_ENDPOINT, LineIndex, RECORD, RECORD_FIELDS, TIMESTAMP_BACK, TIMESTAMP_NEW, TIMESTAMP_REAL } from '../../functions/core/line-index.js';
import { seededRandom } from '../../functions/core/random.js';
import { isRealTimestampAt } from '../../functions/core/timestamp.js';
import { buildDayShard, buildGeneralDayShard } from '../../functions/core/day-shard.js';
import { PROJECT_ROOT } from '../support/fixtures.js';


/** The records as objects, names as text. */
function readRecords(index: LineIndex, bytes: Uint8Array) {
  const result = index.index(bytes);
  if (typeof result === 'string') return result;
  const name = (number: number) => (number === 0 ? null : index.name(number - 1));
  return Array.from({ length: result.lines }, (_, i) => {
    const field = (key: keyof typeof RECORD) => result.records[i * RECORD_FIELDS + RECORD[key]] as number;
    return {
      line: Buffer.from(bytes.subarray(field('start'), field('end'))).toString('latin1'),
      timestamp: Buffer.from(bytes.subarray(field('start') + 15, field('timestampEnd'))).toString('latin1'),
      event: index.name(field('event')),
      endpoint: name(field('endpoint')),
      prefix: name(field('prefix')),
      channel: name(field('channel')),
      channelIsEndpoint: (field('flags') & CHANNEL_IS_ENDPOINT) !== 0,
    };
  });
}

const day = (...lines: string[]) => Buffer.from(lines.map((line) => `${line}\n`).join(''), 'latin1');

describe('the line index', () => {
  it('is committed as its source compiles (npm run build:wasm)', async () => {
    const { compileLineIndex, MODULE } = (await import(pathToFileURL(path.join(PROJECT_ROOT, 'scripts', 'line-index-wasm.mjs')).href)) as {
      compileLineIndex: () => Promise<string>;
      MODULE: string;
    };
    expect(await compileLineIndex()).toBe(await readFile(MODULE, 'utf8'));
  });

  it('places each line\'s timestamp and fields, and numbers its names the same across days', () => {
    const index = new LineIndex();
    const first = readRecords(
      index,
      day(
        '{"timestamp": "2025-03-01T00:00:17+00:00", "channel": "PJSIP/655-0001", "endpoint": "655", "event": "ivr"}',
        '{"timestamp": "2025-03-01T00:00:18+00:00", "channel": "655", "endpoint": "655", "event": "ivr"}',
        '{"timestamp": "2022-03-24T05:00:30-08:00", "channel": "SIP/630-0000011f", "event": "filter_dial"}',
        '{"timestamp": "2022-03-24T05:00:31-08:00", "channel": "hot", "endpoint": "", "event": ""}',
      ),
    );
    expect(first).toEqual([
      { line: expect.any(String), timestamp: '2025-03-01T00:00:17+00:00', event: 'ivr', endpoint: '655', prefix: null, channel: null, channelIsEndpoint: false },
      { line: expect.any(String), timestamp: '2025-03-01T00:00:18+00:00', event: 'ivr', endpoint: '655', prefix: null, channel: null, channelIsEndpoint: true },
      { line: expect.any(String), timestamp: '2022-03-24T05:00:30-08:00', event: 'filter_dial', endpoint: null, prefix: 'SIP/630', channel: 'SIP/630-0000011f', channelIsEndpoint: false },
      { line: expect.any(String), timestamp: '2022-03-24T05:00:31-08:00', event: '', endpoint: '', prefix: null, channel: 'hot', channelIsEndpoint: false },
    ]);
    const names = index.names;
    // A prefix whose rule decides the rewrite: its channels are no longer looked up.
    const prefix = index.index(day('{"timestamp": "2022-03-24T05:00:30-08:00", "channel": "SIP/630-0000011f", "event": "filter_dial"}'));
    if (typeof prefix === 'string') throw new Error(prefix);
    index.setPrefixRule((prefix.records[RECORD.prefix] as number) - 1, true);
    const second = readRecords(index, day('{"timestamp": "2022-03-25T05:00:30-08:00", "channel": "SIP/630-00000120", "event": "filter_dial"}'));
    expect(second).toEqual([expect.objectContaining({ event: 'filter_dial', prefix: 'SIP/630', channel: null })]);
    expect(index.names).toBe(names);
  });

  it('orders and checks timestamps as the JavaScript checks do, on random and hostile ones', () => {
    const random = seededRandom(20261130);
    const forms = ['2025-03-01T00:00:17+00:00', '2022-03-24T05:00:30-08:00', '2025-03-01T00:00:32.421374', '2023-03-04T06:29:27.540Z', '2022-04-05T02:31:41,612-08:00', '2024-02-29T23:59:59+14:00', '0001-01-01T00:00:00'];
    const alphabet = '0123456789-:T.,Z+ x';
    const mutate = (text: string) => {
      const at = Math.floor(random() * (text.length + 1));
      const kind = random();
      const char = alphabet[Math.floor(random() * alphabet.length)] as string;
      if (kind < 0.4) return text.slice(0, at) + char + text.slice(at + 1);
      if (kind < 0.7) return text.slice(0, at) + char + text.slice(at);
      return text.slice(0, at) + text.slice(at + 1);
    };
    const index = new LineIndex();
    let real = 0;
    for (let i = 0; i < 4000; i++) {
      let first = forms[Math.floor(random() * forms.length)] as string;
      let second = forms[Math.floor(random() * forms.length)] as string;
      for (let m = Math.floor(random() * 3); m > 0; m--) first = mutate(first);
      for (let m = Math.floor(random() * 3); m > 0; m--) second = mutate(second);
      const result = index.index(day(`{"timestamp": "${first}", "channel": "a", "event": "e"}`, `{"timestamp": "${second}", "channel": "a", "event": "e"}`));
      if (typeof result === 'string') throw new Error(`${first} / ${second}: ${result}`);
      const flags = [result.records[RECORD.flags] as number, result.records[RECORD_FIELDS + RECORD.flags] as number];
      const isReal = (text: string) => isRealTimestampAt(Buffer.from(text, 'latin1'), 0, text.length);
      expect([first, (flags[0] as number) & TIMESTAMP_REAL]).toEqual([first, isReal(first) ? TIMESTAMP_REAL : 0]);
      const order = second > first ? TIMESTAMP_NEW : second < first ? TIMESTAMP_BACK : 0;
      expect([first, second, (flags[1] as number) & (TIMESTAMP_NEW | TIMESTAMP_BACK)]).toEqual([first, second, order]);
      if (order === TIMESTAMP_NEW) expect([second, (flags[1] as number) & TIMESTAMP_REAL]).toEqual([second, isReal(second) ? TIMESTAMP_REAL : 0]);
      if (isReal(first)) real++;
    }
    // Both kinds are well represented.
    expect(real).toBeGreaterThan(500);
    expect(real).toBeLessThan(3500);
  });

  it.each([
    ['a backslash', '{"timestamp": "2025-03-01T00:00:17+00:00", "channel": "a\\"b", "event": "e"}'],
    ['a tab', '{"timestamp": "2025-03-01T00:00:17+00:00", "channel": "a\tb", "event": "e"}'],
    ['a byte past ASCII', '{"timestamp": "2025-03-01T00:00:17+00:00", "channel": "caf\u00e9", "event": "e"}'],
    ['a CR', '{"timestamp": "2025-03-01T00:00:17+00:00", "channel": "a", "event": "e"}\r'],
    ['a blank line', ''],
    ['fields in another order', '{"channel": "a", "timestamp": "2025-03-01T00:00:17+00:00", "event": "e"}'],
    ['a quote inside the event', '{"timestamp": "2025-03-01T00:00:17+00:00", "channel": "a", "event": "e"x"}'],
    ['no event', '{"timestamp": "2025-03-01T00:00:17+00:00", "channel": "a"}'],
  ])('refuses a day with %s', (_, line) => {
    expect(new LineIndex().index(day('{"timestamp": "2025-03-01T00:00:16+00:00", "channel": "a", "event": "e"}', line))).toBe('not canonical');
  });

  it('leaves a day with more names than its tables hold to the general path, with the same shard', () => {
    const lines = Array.from({ length: 70_000 }, (_, i) => `{"timestamp": "2025-03-01T${String(Math.floor(i / 3600) % 24).padStart(2, '0')}:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}+00:00", "channel": "${i}", "endpoint": "${i}", "event": "e${i}"}`);
    lines.sort();
    const text = day(...lines);
    const shard = buildDayShard(text);
    const general = buildGeneralDayShard(text);
    expect(Buffer.from(shard.bytes).toString('latin1')).toBe(general.json);
    expect(shard.counts.total).toBe(70_000);
  });
});
