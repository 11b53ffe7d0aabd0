import { describe, expect, it } from '@jest/globals';
import { normaliseEventName, normaliseLine, rewriteChannel, rewriteChannelWithRegexes } from '../../functions/core/normalise.js';

// Expected values are what CPython's re.sub gives for r'(SIP).(.*)-.*' then r'(SIP).(\d+)$'.
describe('rewriteChannel', () => {
  it.each([
    ['PJSIP/630-0000011f', 'PJSIP-630'],
    ['SIP/630', 'SIP-630'],
    ['SIP/630-abc-def', 'SIP-630-abc'],
    ['Local/followme@x', 'Local/followme@x'],
    ['SIP/\u0661\u0662\u0663', 'SIP-\u0661\u0662\u0663'],
    ['SIP/630\n', 'SIP-630\n'],
    ['SIP/a\rb-c', 'SIP-a\rb'],
    ['xSIP/1-2 SIP/3-4', 'xSIP-1-2 SIP-3'],
    ['SIP\u{1F600}x-1', 'SIP-x'],
    ['SIP/1-2\nSIP/3-4', 'SIP-1\nSIP-3'],
    ['PJSIP-630', 'PJSIP-630'],
    ['SIP/abc', 'SIP/abc'],
    ['SIP/12a', 'SIP/12a'],
    ['', ''],
  ])('%p → %p', (channel, expected) => {
    expect(rewriteChannel(channel)).toBe(expected);
  });
});

describe('normaliseEventName', () => {
  it('turns every _ into -', () => {
    expect(normaliseEventName('outgoing_portland_menu')).toBe('outgoing-portland-menu');
    expect(normaliseEventName('__')).toBe('--');
  });
});

const line = (fields: Record<string, string>) =>
  `{${Object.entries(fields).map(([k, v]) => `"${k}": "${v}"`).join(', ')}}`;

describe('normaliseLine', () => {
  it('returns a line that normalisation does not change as it is', () => {
    const text = line({ timestamp: '2025-03-01T00:00:17+00:00', channel: '655', endpoint: '655', event: 'outgoing-portland' });
    const result = normaliseLine(text);
    expect(result).toEqual({ ok: true, ascii: true, entry: { timestamp: '2025-03-01T00:00:17+00:00', channel: '655', event: 'outgoing-portland', json: text } });
  });

  it('replaces channel by a non-empty endpoint', () => {
    const result = normaliseLine(line({ timestamp: 't', channel: 'PJSIP/630-0000011f', endpoint: '630', event: 'ivr' }));
    expect(result.ok && result.entry.json).toBe('{"timestamp": "t", "channel": "630", "endpoint": "630", "event": "ivr"}');
  });

  it('rewrites the channel with the regexes when endpoint is empty', () => {
    const result = normaliseLine(line({ timestamp: 't', channel: 'PJSIP/630-0000011f', endpoint: '', event: 'a_b' }));
    expect(result.ok && result.entry.json).toBe('{"timestamp": "t", "channel": "PJSIP-630", "endpoint": "", "event": "a-b"}');
  });

  it('handles lines without endpoint (older objects)', () => {
    const result = normaliseLine(line({ timestamp: '2022-03-24T05:00:30-08:00', channel: 'SIP/630-00000a', event: 'filter_dial' }));
    expect(result.ok && result.entry.json).toBe('{"timestamp": "2022-03-24T05:00:30-08:00", "channel": "SIP-630", "event": "filter-dial"}');
  });

  it('gives the same result on the parsing path as on the fast path', () => {
    // Same content, but with escapes and spacing only the full parser handles.
    const fast = normaliseLine('{"timestamp": "t", "channel": "SIP/1-2", "endpoint": "", "event": "x_y"}');
    const slow = normaliseLine('{"timestamp":"t","channel":"SIP\\/1-2","endpoint":"","event":"x_y"}');
    expect(slow.ok && slow.entry).toEqual(fast.ok && fast.entry);
    expect([fast.ok && fast.ascii, slow.ok && slow.ascii]).toEqual([true, false]);
  });

  it('escapes non-ASCII on output and keeps extra keys in place', () => {
    const result = normaliseLine('{"timestamp": "t", "extra": 1.0, "channel": "caf\u00e9", "event": "\u{1F4DE}_call"}');
    expect(result.ok && result.entry).toEqual({
      timestamp: 't',
      channel: 'caf\u00e9',
      event: '\u{1F4DE}-call',
      json: '{"timestamp": "t", "extra": 1.0, "channel": "caf\\u00e9", "event": "\\ud83d\\udcde-call"}',
    });
  });

  it.each([
    ['not json', /^not JSON/],
    ['[1]', /not a JSON object/],
    ['{"channel": "a", "event": "b"}', /no "timestamp"/],
    ['{"timestamp": 5, "channel": "a", "event": "b"}', /"timestamp" is the number 5, not a string/],
    ['{"timestamp": "t", "event": "b"}', /no "channel"/],
    ['{"timestamp": "t", "channel": null, "event": "b"}', /"channel" is null/],
    ['{"timestamp": "t", "channel": "a"}', /no "event"/],
    ['{"timestamp": "t", "channel": "a", "event": "b", "endpoint": 7}', /"endpoint" is the number 7/],
  ])('rejects %p with a reason', (text, reason) => {
    const result = normaliseLine(text);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });
});

describe('rewriteChannel agrees with the regexes it implements', () => {
  it('on 20,000 random channels built from the characters that matter', () => {
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const alphabet = ['S', 'I', 'P', 'SIP', 'PJSIP', '-', '/', '1', '9', '0', 'a', '\r', ' ', '_', '.', '\n', '\u0661', '\u{1F600}'];
    for (let n = 0; n < 20_000; n++) {
      const length = Math.floor(next() * 10);
      let channel = '';
      for (let i = 0; i < length; i++) channel += alphabet[Math.floor(next() * alphabet.length)];
      expect([channel, rewriteChannel(channel)]).toEqual([channel, rewriteChannelWithRegexes(channel)]);
    }
  });
});
