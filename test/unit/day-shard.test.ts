import { describe, expect, it } from '@jest/globals';
import { buildDayShard } from '../../functions/core/day-shard.js';

const event = (timestamp: string, event = 'ivr', channel = '655') =>
  `{"timestamp": "${timestamp}", "channel": "${channel}", "endpoint": "${channel}", "event": "${event}"}`;

describe('buildDayShard', () => {
  it('stable-sorts every timestamp form as strings', () => {
    const forms = [
      '2025-03-01T00:00:17+00:00',
      '2025-03-01T00:00:32.421374',
      '2023-03-04T06:29:27.540Z',
      '2022-03-24T05:00:30-08:00',
      '2022-04-05T02:31:41,612-08:00',
    ];
    // Lines as a daily object holds them: sorted as strings, which is not timestamp order
    // once events differ before the timestamp ends.
    const lines = [event(forms[0]!, 'b'), event(forms[0]!, 'a'), ...forms.slice(1).map((t) => event(t))];
    const shard = buildDayShard(`${lines.join('\n')}\n`);
    expect(shard.entries.map((e) => `${e.timestamp} ${e.event}`)).toEqual([
      '2022-03-24T05:00:30-08:00 ivr',
      '2022-04-05T02:31:41,612-08:00 ivr',
      '2023-03-04T06:29:27.540Z ivr',
      '2025-03-01T00:00:17+00:00 b',
      '2025-03-01T00:00:17+00:00 a',
      '2025-03-01T00:00:32.421374 ivr',
    ]);
  });

  it('keeps the first of identical entries, including ones identical only after normalisation', () => {
    const text = [
      '{"timestamp": "2025-03-01T00:00:01+00:00", "channel": "PJSIP/630-0000011f", "event": "a_b"}',
      '{"timestamp": "2025-03-01T00:00:01+00:00", "channel": "PJSIP/630-0000022a", "event": "a-b"}',
      event('2025-03-01T00:00:02+00:00'),
      event('2025-03-01T00:00:02+00:00'),
    ].join('\n');
    const shard = buildDayShard(text);
    expect(shard.json).toBe(
      '[{"timestamp": "2025-03-01T00:00:01+00:00", "channel": "PJSIP-630", "event": "a-b"}, {"timestamp": "2025-03-01T00:00:02+00:00", "channel": "655", "endpoint": "655", "event": "ivr"}]',
    );
    expect(shard.lines).toBe(4);
  });

  it('reports malformed lines with their line number, and keeps the rest', () => {
    const shard = buildDayShard([event('2025-03-01T00:00:01+00:00'), 'garbage', '', '{"timestamp": "2025-03-01T00:00:02+00:00"}', event('2025-03-01T00:00:03+00:00')].join('\n'));
    expect(shard.entries).toHaveLength(2);
    expect(shard.rejections.map((r) => [r.line, r.text])).toEqual([
      [2, 'garbage'],
      [4, '{"timestamp": "2025-03-01T00:00:02+00:00"}'],
    ]);
    expect(shard.rejections[1]!.reason).toBe('no "channel"');
  });

  it('names lines that are not UTF-8 instead of decoding them to replacement characters', () => {
    const bytes = Buffer.concat([Buffer.from(`${event('2025-03-01T00:00:01+00:00')}\n`), Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]), Buffer.from(`${event('2025-03-01T00:00:02+00:00')}\n`)]);
    const shard = buildDayShard(bytes);
    expect(shard.entries).toHaveLength(2);
    expect(shard.rejections).toEqual([{ line: 2, reason: 'not valid UTF-8', text: '' }]);
  });

  it('writes non-ASCII escaped and an empty day as []', () => {
    expect(buildDayShard('').json).toBe('[]');
    const shard = buildDayShard('{"timestamp": "2025-03-01T00:00:00+00:00", "channel": "caf\u00e9", "endpoint": "", "event": "e"}\n');
    expect(shard.json).toBe('[{"timestamp": "2025-03-01T00:00:00+00:00", "channel": "caf\\u00e9", "endpoint": "", "event": "e"}]');
  });

  it('rejects a line whose timestamp is not a real date and time in a known form, naming it', () => {
    const lines = [event('2025-03-01T00:00:01+00:00'), event('2025-03-03garbage'), event('2025-03-01T00:00:02+00:00\\n'), event('2025-02-29T10:00:00Z'), event('2025-03-01T00:00:03,123-08:00')];
    const shard = buildDayShard(`${lines.join('\n')}\n`);
    expect(shard.entries.map((e) => e.timestamp)).toEqual(['2025-03-01T00:00:01+00:00', '2025-03-01T00:00:03,123-08:00']);
    expect(shard.rejections.map((r) => [r.line, r.reason])).toEqual([
      [2, 'timestamp "2025-03-03garbage" is not a date and time in a known form (YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM])'],
      [3, 'timestamp "2025-03-01T00:00:02+00:00\\n" is not a date and time in a known form (YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM])'],
      [4, 'timestamp "2025-02-29T10:00:00Z" is not a real date'],
    ]);
  });

  it('tolerates CRLF line ends', () => {
    expect(buildDayShard(`${event('2025-03-01T00:00:01+00:00')}\r\n${event('2025-03-01T00:00:02+00:00')}\r\n`).entries).toHaveLength(2);
  });
});

describe('buildDayShard de-duplication', () => {
  it('keeps the first of each entry within long runs of one timestamp, as a global pass would', () => {
    // 30 events in the same second; every third one repeats an earlier one after normalisation.
    const lines: string[] = [];
    for (let i = 0; i < 30; i++) {
      const n = i % 3 === 2 ? i - 2 : i;
      lines.push(`{"timestamp": "2025-03-01T00:00:00Z", "channel": "SIP/${n}-${i}", "event": "e_${n}"}`);
    }
    const shard = buildDayShard(lines.join('\n'));
    const expected: string[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const n = i % 3 === 2 ? i - 2 : i;
      const json = `{"timestamp": "2025-03-01T00:00:00Z", "channel": "SIP-${n}", "event": "e-${n}"}`;
      if (!seen.has(json)) expected.push(json);
      seen.add(json);
    }
    expect(shard.entries.map((e) => e.json)).toEqual(expected);
    expect(shard.entries).toHaveLength(20);
  });

  it('takes the file as it is when every line is unchanged and in order', () => {
    const text = `${event('2025-03-01T00:00:01Z')}\n${event('2025-03-01T00:00:02Z')}\n`;
    expect(buildDayShard(text).json).toBe(`[${event('2025-03-01T00:00:01Z')}, ${event('2025-03-01T00:00:02Z')}]`);
    // A repeated line is not "in order": it must go through de-duplication.
    expect(buildDayShard(`${event('2025-03-01T00:00:01+00:00')}\n${event('2025-03-01T00:00:01+00:00')}\n`).json).toBe(`[${event('2025-03-01T00:00:01+00:00')}]`);
  });
});
