import { describe, expect, it } from '@jest/globals';
import {
  assertTimeZone,
  backfillLine,
  buildMessage,
  localTimestamp,
  parseMetricsLine,
  resolveWallTime,
  snsEnvelope,
  TimeZoneError,
  type BackfillEvent,
  type WallTime,
} from '../../functions/core/backfill.js';
import { classifyMessage } from '../../functions/core/classify.js';
import { dayOfTimestamp } from '../../functions/core/days.js';

const SAMPLE = '2022-04-04 22:45:55,436 UNIQUEID=1833323238.399, CHANNEL=SIP/630-0000011f, CALLERID(number)=+12345678901, name=filterdial';

function event(line: string, timeZone?: string): BackfillEvent {
  const result = backfillLine(line, timeZone ? { timeZone } : {});
  if (result.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(result)}`);
  return result.event;
}

function rejection(line: string, timeZone?: string): string {
  const result = backfillLine(line, timeZone ? { timeZone } : {});
  if (result.kind !== 'rejected') throw new Error(`expected a rejection, got ${JSON.stringify(result)}`);
  return result.reason;
}

/** The timestamp a `HH:MM:SS` wall time on a day gets, or the rejection reason. */
function stamp(day: string, time: string, timeZone = 'America/Los_Angeles'): string {
  const result = backfillLine(`${day} ${time},000 CHANNEL=SIP/1-1, name=x`, { timeZone });
  return result.kind === 'event' ? result.event.timestamp : result.kind === 'rejected' ? `rejected: ${result.reason}` : 'blank';
}

const wall = (text: string): WallTime => {
  const parsed = parseMetricsLine(`${text} CHANNEL=a, name=b`);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.record.wall;
};

describe('parseMetricsLine', () => {
  it('reads the timestamp, the required fields and keeps every field in order', () => {
    const parsed = parseMetricsLine(SAMPLE);
    expect(parsed).toEqual({
      ok: true,
      record: {
        wall: { year: 2022, month: 4, day: 4, hour: 22, minute: 45, second: 55, millisecond: 436, hasMillis: true },
        channel: 'SIP/630-0000011f',
        name: 'filterdial',
        fields: [
          ['UNIQUEID', '1833323238.399'],
          ['CHANNEL', 'SIP/630-0000011f'],
          ['CALLERID(number)', '+12345678901'],
          ['name', 'filterdial'],
        ],
      },
    });
  });

  it('takes fields in any order, extra fields, values with commas, and odd spacing', () => {
    const parsed = parseMetricsLine('2022-04-04 22:45:55,436 name=ivr,CALLERID(name)=Smith, John ,  CHANNEL=PJSIP/655-00000a1b, EXTRA=1');
    expect(parsed.ok && parsed.record).toMatchObject({ channel: 'PJSIP/655-00000a1b', name: 'ivr' });
    expect(parsed.ok && parsed.record.fields).toContainEqual(['CALLERID(name)', 'Smith, John']);
  });

  it('matches the required keys case-insensitively', () => {
    expect(parseMetricsLine('2022-04-04 22:45:55,436 channel=SIP/1-2, NAME=x')).toMatchObject({ ok: true, record: { channel: 'SIP/1-2', name: 'x' } });
  });

  it('accepts a timestamp without milliseconds, and does not invent them', () => {
    expect(event('2022-04-04 22:45:55 CHANNEL=SIP/1-2, name=x').timestamp).toBe('2022-04-04T22:45:55-07:00');
    expect(event('2022-04-04 22:45:55.5 CHANNEL=SIP/1-2, name=x').timestamp).toBe('2022-04-04T22:45:55.500-07:00');
  });

  it.each([
    ['2022-04-04 22:45:55,436 UNIQUEID=1, CHANNEL=SIP/1-2', 'no name= field'],
    ['2022-04-04 22:45:55,436 UNIQUEID=1, name=x', 'no CHANNEL= field'],
    ['2022-04-04 22:45:55,436 CHANNEL=, name=x', 'CHANNEL= is empty'],
    ['2022-04-04 22:45:55,436 CHANNEL=a, name=x, name=y', 'name= appears 2 times'],
    ['2022-04-04 22:45:55,436', 'does not start with'],
    ['2022-04-04 22:45:55,436 just words', 'no KEY=value fields'],
    ['2022-04-04 22:45:55,436 junk CHANNEL=a, name=x', 'unexpected text before the first field'],
    ['04/04/2022 22:45:55 CHANNEL=a, name=x', 'does not start with'],
    ['2022-02-30 22:45:55,436 CHANNEL=a, name=x', '2022-02-30 is not a real date'],
    ['2022-04-04 24:00:00,000 CHANNEL=a, name=x', '24:00:00 is not a real time'],
  ])('rejects %j', (line, reason) => {
    expect(rejection(line)).toContain(reason);
  });

  it('treats blank lines as nothing', () => {
    expect(backfillLine('')).toEqual({ kind: 'blank' });
    expect(backfillLine('   \t')).toEqual({ kind: 'blank' });
  });
});

describe('local time with the real offset (America/Los_Angeles by default)', () => {
  it('stamps the sample line with PDT and keeps the milliseconds', () => {
    const e = event(SAMPLE);
    expect(e.timestamp).toBe('2022-04-04T22:45:55.436-07:00');
    expect(e.utc).toBe('2022-04-05T05:45:55.436Z');
    expect(e.ambiguous).toBe(false);
  });

  it('keeps the LOCAL date, which the pipeline files the event under', () => {
    const e = event('2022-04-04 23:30:00,000 CHANNEL=SIP/1-2, name=x');
    expect(e.utc.slice(0, 10)).toBe('2022-04-05');
    expect(dayOfTimestamp(e.timestamp)).toBe('20220404');
  });

  it('switches at 2022-03-13 02:00 PST → 03:00 PDT', () => {
    expect(stamp('2022-03-12', '12:00:00')).toBe('2022-03-12T12:00:00.000-08:00');
    expect(stamp('2022-03-13', '00:30:00')).toBe('2022-03-13T00:30:00.000-08:00');
    expect(stamp('2022-03-13', '01:59:59')).toBe('2022-03-13T01:59:59.000-08:00');
    expect(stamp('2022-03-13', '03:00:00')).toBe('2022-03-13T03:00:00.000-07:00');
    expect(stamp('2022-03-14', '12:00:00')).toBe('2022-03-14T12:00:00.000-07:00');
    // One second of wall time apart, one real second apart.
    expect(Date.parse(stamp('2022-03-13', '03:00:00')) - Date.parse(stamp('2022-03-13', '01:59:59'))).toBe(1000);
  });

  it('rejects the nonexistent spring-forward hour with a clear reason', () => {
    for (const time of ['02:00:00', '02:30:00', '02:59:59']) {
      expect(stamp('2022-03-13', time)).toBe(`rejected: 2022-03-13 ${time} does not exist in America/Los_Angeles (clocks jumped from -08:00 to -07:00)`);
    }
  });

  it('switches at 2022-11-06 02:00 PDT → 01:00 PST, taking the repeated hour as its first occurrence', () => {
    expect(stamp('2022-11-05', '12:00:00')).toBe('2022-11-05T12:00:00.000-07:00');
    expect(stamp('2022-11-06', '00:59:59')).toBe('2022-11-06T00:59:59.000-07:00');
    expect(stamp('2022-11-06', '01:00:00')).toBe('2022-11-06T01:00:00.000-07:00');
    expect(stamp('2022-11-06', '01:59:59')).toBe('2022-11-06T01:59:59.000-07:00');
    expect(stamp('2022-11-06', '02:00:00')).toBe('2022-11-06T02:00:00.000-08:00');
    expect(stamp('2022-11-07', '12:00:00')).toBe('2022-11-07T12:00:00.000-08:00');
    expect(event('2022-11-06 01:30:00,250 CHANNEL=SIP/1-2, name=x').ambiguous).toBe(true);
    expect(event('2022-11-06 02:30:00,250 CHANNEL=SIP/1-2, name=x').ambiguous).toBe(false);
  });

  it('describes both instants of an ambiguous wall time, earliest first', () => {
    const resolution = resolveWallTime(wall('2022-11-06 01:30:00,000'), 'America/Los_Angeles');
    expect(resolution).toEqual({
      kind: 'ambiguous',
      epochMs: Date.parse('2022-11-06T08:30:00Z'),
      offsetMs: -7 * 3600_000,
      laterEpochMs: Date.parse('2022-11-06T09:30:00Z'),
      laterOffsetMs: -8 * 3600_000,
    });
  });

  it('is not fooled by the old fixed -08:00: a summer line differs from what the old tool wrote', () => {
    expect(stamp('2022-07-04', '12:00:00')).toBe('2022-07-04T12:00:00.000-07:00');
    expect(stamp('2022-01-04', '12:00:00')).toBe('2022-01-04T12:00:00.000-08:00');
  });
});

describe('other time zones', () => {
  it('Europe/Berlin: 2022-03-27 02:00 CET → 03:00 CEST and 2022-10-30 03:00 CEST → 02:00 CET', () => {
    const berlin = (day: string, time: string) => stamp(day, time, 'Europe/Berlin');
    expect(berlin('2022-03-27', '01:59:59')).toBe('2022-03-27T01:59:59.000+01:00');
    expect(berlin('2022-03-27', '02:30:00')).toBe('rejected: 2022-03-27 02:30:00 does not exist in Europe/Berlin (clocks jumped from +01:00 to +02:00)');
    expect(berlin('2022-03-27', '03:00:00')).toBe('2022-03-27T03:00:00.000+02:00');
    expect(berlin('2022-10-30', '01:59:59')).toBe('2022-10-30T01:59:59.000+02:00');
    expect(berlin('2022-10-30', '02:30:00')).toBe('2022-10-30T02:30:00.000+02:00');
    expect(berlin('2022-10-30', '03:00:00')).toBe('2022-10-30T03:00:00.000+01:00');
  });

  it('zones without DST, half-hour offsets and UTC', () => {
    expect(stamp('2022-07-01', '23:59:59', 'Asia/Kolkata')).toBe('2022-07-01T23:59:59.000+05:30');
    expect(stamp('2022-07-01', '00:00:00', 'UTC')).toBe('2022-07-01T00:00:00.000+00:00');
    // Lord Howe moves by half an hour: 02:00 → 02:30 on 2022-10-02.
    expect(stamp('2022-10-02', '02:15:00', 'Australia/Lord_Howe')).toMatch(/^rejected: .* does not exist/);
    expect(stamp('2022-10-02', '02:30:00', 'Australia/Lord_Howe')).toBe('2022-10-02T02:30:00.000+11:00');
  });

  it('refuses a zone Intl does not know', () => {
    expect(() => assertTimeZone('Mars/Olympus_Mons')).toThrow(TimeZoneError);
    expect(() => backfillLine(SAMPLE, { timeZone: 'PST8PDTX' })).toThrow(/unknown time zone/);
    expect(localTimestamp(wall('2022-04-04 22:45:55,436'), 'America/Los_Angeles')).toMatchObject({ ok: true });
  });
});

describe('messages', () => {
  it('builds the live events\' Message, written as Python\'s json.dumps would', () => {
    expect(event(SAMPLE).message).toBe(
      '{"timestamp": "2022-04-04T22:45:55.436-07:00", "hostname": "futel-prod.phu73l.net", "event": {"Event": "UserEvent", "Channel": "SIP/630-0000011f", "UserEvent": "filterdial", "Source": "usage-pipeline backfill"}}',
    );
    expect(buildMessage({ timestamp: 't', hostname: 'h', channel: 'SIP/é', name: 'x' })).toContain('"Channel": "SIP/\\u00e9"');
    const other = backfillLine(SAMPLE, { hostname: 'futel-prod-back' });
    expect(other.kind === 'event' && JSON.parse(other.event.message).hostname).toBe('futel-prod-back');
  });

  it('wraps it in an SNS envelope the drain keeps, filed under the local day', () => {
    const e = event('2022-04-04 23:30:00,000 CHANNEL=SIP/630-0000011f, name=filterdial');
    const body = snsEnvelope(e, '00000000-0000-4000-8000-000000000000');
    expect(JSON.parse(body)).toEqual({
      Type: 'Notification',
      MessageId: '00000000-0000-4000-8000-000000000000',
      TopicArn: 'backfill',
      Message: e.message,
      Timestamp: '2022-04-05T06:30:00.000Z',
    });
    expect(classifyMessage(body)).toMatchObject({
      kind: 'kept',
      day: '20220404',
      event: { timestamp: '2022-04-04T23:30:00.000-07:00', channel: 'SIP/630-0000011f', event: 'filterdial' },
    });
    expect(JSON.parse(snsEnvelope(e)).MessageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
