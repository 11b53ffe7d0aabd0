import { describe, expect, it } from '@jest/globals';
import { classifyMessage, DEFAULT_PRODUCTION_HOSTS } from '../../functions/core/classify.js';

function body(message: unknown, envelope: Record<string, unknown> = {}): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: 'id-1',
    TopicArn: 'arn:aws:sns:us-west-2:123456789012:asterisk-prod-events',
    Message: typeof message === 'string' ? message : JSON.stringify(message),
    Timestamp: '2025-03-01T20:14:23.000Z',
    ...envelope,
  });
}

const asterisk = (event: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  timestamp: '2025-03-01T20:14:23+00:00',
  hostname: 'futel-prod.phu73l.net',
  event: { Event: 'UserEvent', Privilege: 'user,all', ...event },
  ...extra,
});

describe('classifyMessage: kept events', () => {
  it('keeps a production UserEvent as the terse object, keys in order, filed by its own date', () => {
    const result = classifyMessage(body(asterisk({ Channel: 'PJSIP/630-0000011f', UserEvent: 'outgoing_call', endpoint: '630' })));
    expect(result).toEqual({
      kind: 'kept',
      day: '20250301',
      line: '{"timestamp": "2025-03-01T20:14:23+00:00", "channel": "PJSIP/630-0000011f", "endpoint": "630", "event": "outgoing_call"}',
      event: { timestamp: '2025-03-01T20:14:23+00:00', channel: 'PJSIP/630-0000011f', endpoint: '630', event: 'outgoing_call' },
    });
  });

  it('uses Event when there is no UserEvent, the channel as endpoint, and the envelope Timestamp as fallback', () => {
    const message = asterisk({ Event: 'Hangup', Channel: 'SIP/655-1' });
    delete (message as { timestamp?: string }).timestamp;
    const result = classifyMessage(body(message, { Timestamp: '2025-02-28T23:59:59.999Z' }));
    expect(result.kind === 'kept' && result.line).toBe(
      '{"timestamp": "2025-02-28T23:59:59.999Z", "channel": "SIP/655-1", "endpoint": "SIP/655-1", "event": "Hangup"}',
    );
    expect(result.kind === 'kept' && result.day).toBe('20250228');
  });

  it('files by the date as written, without time-zone conversion', () => {
    const result = classifyMessage(body(asterisk({ Channel: '655', UserEvent: 'x' }, { timestamp: '2022-04-04T23:45:55-08:00' })));
    expect(result.kind === 'kept' && result.day).toBe('20220404');
  });

  it('escapes non-ASCII names as Python does', () => {
    const result = classifyMessage(body(asterisk({ Channel: 'caf\u00e9', UserEvent: '\u{1F4DE}' })));
    expect(result.kind === 'kept' && result.line).toContain('"channel": "caf\\u00e9"');
    expect(result.kind === 'kept' && result.line).toContain('"event": "\\ud83d\\udcde"');
  });

  it('accepts the configured production hosts', () => {
    for (const hostname of DEFAULT_PRODUCTION_HOSTS) {
      expect(classifyMessage(body(asterisk({ Channel: '655', UserEvent: 'x' }, { hostname }))).kind).toBe('kept');
    }
    const custom = classifyMessage(body(asterisk({ Channel: '655', UserEvent: 'x' }, { hostname: 'lab' })), { productionHosts: ['lab'] });
    expect(custom.kind).toBe('kept');
  });
});

describe('classifyMessage: dropped events', () => {
  it.each([
    ['a non-production host', asterisk({ Channel: '655', UserEvent: 'x' }, { hostname: 'futel-stage.phu73l.net' }), 'hostname'],
    ['a missing hostname', asterisk({ Channel: '655', UserEvent: 'x' }, { hostname: undefined }), 'hostname'],
    ['no channel', asterisk({ UserEvent: 'x' }), 'channel'],
    ['an empty channel', asterisk({ Channel: '', UserEvent: 'x' }), 'channel'],
    ['a followme-operator channel', asterisk({ Channel: 'Local/followme-operator@default-0001;1', UserEvent: 'operator' }), 'channel'],
    ['a Registry event', asterisk({ Event: 'Registry', Channel: 'PJSIP/655-1' }), 'event'],
    ['a PeerStatus event', asterisk({ Event: 'PeerStatus', Channel: 'PJSIP/655-1' }), 'event'],
    ['no event name at all', { ...asterisk({ Channel: '655' }), event: { Channel: '655' } }, 'event'],
  ])('drops %s', (_label, message, reason) => {
    expect(classifyMessage(body(message))).toMatchObject({ kind: 'dropped', reason });
  });
});

describe('classifyMessage: malformed bodies', () => {
  it.each([
    ['a body that is not JSON', 'not json at all', /^body is not JSON/],
    ['a body that is not an object', '[1, 2]', /^body is not a JSON object/],
    ['an envelope without Message', JSON.stringify({ Type: 'Notification', MessageId: 'x' }), /^envelope has no Message$/],
    ['a Message that is not JSON', body('{"timestamp": "truncated'), /^Message is not JSON/],
    ['a Message without event', body({ timestamp: '2025-03-01T00:00:00Z', hostname: 'futel-prod.phu73l.net' }), /Message.event is missing/],
    ['a timestamp without a date', body(asterisk({ Channel: '655', UserEvent: 'x' }, { timestamp: 'yesterday' })), /^timestamp "yesterday" is not a date and time in a known form/],
    ['a timestamp that is not a real date', body(asterisk({ Channel: '655', UserEvent: 'x' }, { timestamp: '2025-02-30T00:00:00Z' })), /^timestamp "2025-02-30T00:00:00Z" is not a real date$/],
    ['a timestamp with text after it', body(asterisk({ Channel: '655', UserEvent: 'x' }, { timestamp: '2025-03-03garbage' })), /^timestamp "2025-03-03garbage" is not a date and time in a known form/],
    ['a timestamp with a newline in it', body(asterisk({ Channel: '655', UserEvent: 'x' }, { timestamp: '2025-03-01T20:14:23+00:00\nx' })), /^timestamp "2025-03-01T20:14:23\+00:00\\nx" is not a date and time/],
    ['a timestamp at 25 o\'clock', body(asterisk({ Channel: '655', UserEvent: 'x' }, { timestamp: '2025-03-01T25:00:00+00:00' })), /is not a real time of day$/],
    ['an envelope Timestamp that is not a time, used for want of one', body({ hostname: 'futel-prod.phu73l.net', event: { Event: 'Hangup', Channel: '655' } }, { Timestamp: 'now' }), /^timestamp "now" is not/],
    ['a numeric timestamp', body(asterisk({ Channel: '655', UserEvent: 'x' }, { timestamp: 1740000000 })), /Message.timestamp is number, not a string/],
    ['a numeric channel', body(asterisk({ Channel: 655, UserEvent: 'x' })), /event.Channel is number/],
    ['a null UserEvent', body(asterisk({ Channel: '655', UserEvent: null })), /event.UserEvent is null/],
  ])('quarantines %s with its reason', (_label, text, reason) => {
    const result = classifyMessage(text);
    expect(result.kind).toBe('malformed');
    expect(result.kind === 'malformed' && result.reason).toMatch(reason);
  });
});

describe('classifyMessage: timestamps that cannot be the event\'s time are quarantined', () => {
  const at = (timestamp: string, envelope: Record<string, unknown> = {}) => body(asterisk({ Channel: '655', UserEvent: 'x' }, { timestamp }), envelope);

  it('one more than a day after the envelope\'s Timestamp (SNS\'s receipt)', () => {
    expect(classifyMessage(at('2099-12-31T23:59:59+00:00'))).toEqual({
      kind: 'malformed',
      reason: 'timestamp "2099-12-31T23:59:59+00:00" is more than a day after the message was received (2025-03-01T20:14:23.000Z)',
    });
    // A day of slack: a clock a little ahead, or a local time read as UTC, is still kept.
    expect(classifyMessage(at('2025-03-02T20:14:23+00:00')).kind).toBe('kept');
    expect(classifyMessage(at('2025-03-02T20:14:24+00:00')).kind).toBe('malformed');
    expect(classifyMessage(at('2025-03-02T12:14:24-08:00')).kind).toBe('malformed');
    expect(classifyMessage(at('2025-03-02T12:14:23.000-08:00')).kind).toBe('kept');
  });

  it('one more than a day after the queue received it, when the envelope claims a later receipt or none', () => {
    const receivedAt = new Date('2025-03-01T00:00:00Z');
    expect(classifyMessage(at('2025-03-03T00:00:00+00:00', { Timestamp: '2025-03-05T00:00:00.000Z' }), { receivedAt })).toMatchObject({
      kind: 'malformed',
      reason: 'timestamp "2025-03-03T00:00:00+00:00" is more than a day after the message was received (2025-03-01T00:00:00.000Z)',
    });
    expect(classifyMessage(at('2025-03-03T00:00:00+00:00', { Timestamp: undefined }), { receivedAt }).kind).toBe('malformed');
    expect(classifyMessage(at('2025-03-01T23:00:00+00:00', { Timestamp: undefined }), { receivedAt }).kind).toBe('kept');
  });

  it('before the configured first day', () => {
    expect(classifyMessage(at('1970-01-01T00:00:03+00:00'), { firstDay: '20100101' as never })).toEqual({
      kind: 'malformed',
      reason: 'timestamp "1970-01-01T00:00:03+00:00" is before the first day, 2010-01-01',
    });
    expect(classifyMessage(at('2010-01-01T00:00:00+00:00'), { firstDay: '20100101' as never }).kind).toBe('kept');
    expect(classifyMessage(at('1970-01-01T00:00:03+00:00'), { firstDay: null }).kind).toBe('kept');
  });

  it('keeps every known form', () => {
    for (const timestamp of ['2025-03-01T00:00:17+00:00', '2025-03-01T00:00:32.421374', '2025-03-01T06:29:27.540Z', '2025-03-01T05:00:30-08:00', '2025-03-01T02:31:41,612-08:00']) {
      expect({ timestamp, kind: classifyMessage(at(timestamp)).kind }).toEqual({ timestamp, kind: 'kept' });
    }
  });
});
