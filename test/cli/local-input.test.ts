/**
 * `usage-pipeline local --events`: what a replayed file becomes. Recorded envelopes keep their
 * receipt, so a replay is idempotent; timestamps that are not the event's real time are
 * quarantined, not published; a body no queue would take is quarantined and the rest go ahead.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { runCli, type CliResult } from '../support/cli.js';
import { bucketKeys, commitsOnBranch, fileOnBranch } from '../support/pipeline.js';
import { tempDir } from '../support/temp.js';

const TOPIC = 'arn:aws:sns:us-west-2:123456789012:asterisk-prod-events';

/** An SQS body as SNS delivers it; `timestamp: undefined` leaves the message without its own. */
function envelope(id: number, timestamp: string | undefined, receivedAt: string, extra: Record<string, unknown> = {}): string {
  const message = {
    ...(timestamp !== undefined ? { timestamp } : {}),
    hostname: 'futel-prod.phu73l.net',
    event: { Event: 'UserEvent', Privilege: 'user,all', Channel: `PJSIP/${600 + id}-0000011f`, UserEvent: 'outgoing_call', endpoint: String(600 + id) },
    ...extra,
  };
  return JSON.stringify({
    Type: 'Notification',
    MessageId: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    TopicArn: TOPIC,
    Message: JSON.stringify(message),
    Timestamp: receivedAt,
    SignatureVersion: '1',
    Signature: 'EXAMPLE',
  });
}

async function replay(home: string, file: string): Promise<CliResult & { report: Record<string, unknown> }> {
  const result = await runCli(['local', '--home', home, '--events', file, '--json']);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  return { ...result, report: JSON.parse(result.stdout) as Record<string, unknown> };
}

async function dailyObjects(home: string): Promise<Record<string, string>> {
  const keys = await bucketKeys(path.join(home, 'bucket'), 'events/prod');
  return Object.fromEntries(await Promise.all(keys.map(async (key) => [key, await fs.readFile(path.join(home, 'bucket', key), 'utf8')])));
}

async function quarantined(home: string): Promise<Array<{ reason: string; body: string; source?: string }>> {
  const bucket = path.join(home, 'bucket');
  const keys = await bucketKeys(bucket, 'rejected');
  return Promise.all(keys.map(async (key) => JSON.parse(await fs.readFile(path.join(bucket, key), 'utf8'))));
}

describe('local --events replays recorded envelopes as SNS delivered them', () => {
  it('files a message without its own timestamp under the envelope\'s Timestamp, and a second replay adds nothing', async () => {
    const root = await tempDir();
    const home = path.join(root, 'home');
    const file = path.join(root, 'recorded.ndjson');
    const bodies = [
      envelope(1, undefined, '2025-03-01T20:14:23.000Z'),
      envelope(2, undefined, '2025-03-01T21:00:00.000Z'),
      envelope(3, '2025-03-02T01:02:03+00:00', '2025-03-02T01:02:03.000Z'),
    ];
    await fs.writeFile(path.join(root, 'recorded.ndjson'), `${bodies.join('\n')}\n`);

    const first = await replay(home, file);
    expect(first.report).toMatchObject({ status: 'SUCCEEDED', received: 3, kept: 3, malformed: 0, daysBuilt: 2 });
    const daily = await dailyObjects(home);
    expect(daily).toEqual({
      'events/prod/20250301':
        '{"timestamp": "2025-03-01T20:14:23.000Z", "channel": "PJSIP/601-0000011f", "endpoint": "601", "event": "outgoing_call"}\n' +
        '{"timestamp": "2025-03-01T21:00:00.000Z", "channel": "PJSIP/602-0000011f", "endpoint": "602", "event": "outgoing_call"}\n',
      'events/prod/20250302': '{"timestamp": "2025-03-02T01:02:03+00:00", "channel": "PJSIP/603-0000011f", "endpoint": "603", "event": "outgoing_call"}\n',
    });
    const commits = await commitsOnBranch(path.join(home, 'site'));

    const second = await replay(home, file);
    expect(second.report).toMatchObject({ status: 'SUCCEEDED', received: 3, kept: 3, daysBuilt: 0, filesPublished: 0, commit: null });
    expect(await dailyObjects(home)).toEqual(daily);
    expect(await commitsOnBranch(path.join(home, 'site'))).toEqual(commits);
  });

  it('puts each envelope on the queue unchanged: a quarantined one is the recorded body, byte for byte', async () => {
    const root = await tempDir();
    const home = path.join(root, 'home');
    const broken = JSON.stringify({ Type: 'Notification', MessageId: 'recorded-id', TopicArn: TOPIC, Message: '{"timestamp": "trunc', Timestamp: '2025-03-01T00:00:00.000Z' });
    const file = path.join(root, 'recorded.ndjson');
    await fs.writeFile(file, `${broken}\n${envelope(1, undefined, '2025-03-01T20:14:23.000Z')}\n`);
    const { report } = await replay(home, file);
    expect(report).toMatchObject({ received: 2, kept: 1, malformed: 1 });
    expect((await quarantined(home)).map((record) => record.body)).toEqual([broken]);
  });
});

describe('local --events quarantines timestamps that are not the event\'s real time', () => {
  it('keeps them out of every published file, each quarantined with its reason', async () => {
    const root = await tempDir();
    const home = path.join(root, 'home');
    const file = path.join(root, 'recorded.ndjson');
    const receivedAt = '2025-03-01T20:00:00.000Z';
    await fs.writeFile(
      file,
      [
        envelope(1, '2025-03-01T19:59:00+00:00', receivedAt),
        envelope(2, '2099-12-31T23:59:59+00:00', receivedAt),
        envelope(3, '2025-03-03garbage', receivedAt),
        envelope(4, '2025-03-01T19:59:00\n+00:00', receivedAt),
        envelope(5, '1970-01-01T00:00:01+00:00', receivedAt),
        envelope(6, '2025-02-30T10:00:00+00:00', receivedAt),
      ].join('\n'),
    );
    const { report } = await replay(home, file);
    expect(report).toMatchObject({ received: 6, kept: 1, malformed: 5, daysBuilt: 1 });
    expect(Object.keys(await dailyObjects(home))).toEqual(['events/prod/20250301']);
    const index = JSON.parse((await fileOnBranch(path.join(home, 'site'), 'data/summary/index.json')).toString('utf8'));
    expect(index).toMatchObject({ firstDay: '20250301', lastDay: '20250301', days: 1, total: 1 });
    expect((await quarantined(home)).map((record) => record.reason).sort()).toEqual([
      'timestamp "1970-01-01T00:00:01+00:00" is before the first day, 2010-01-01',
      'timestamp "2025-02-30T10:00:00+00:00" is not a real date',
      'timestamp "2025-03-01T19:59:00\\n+00:00" is not a date and time in a known form (YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM])',
      'timestamp "2025-03-03garbage" is not a date and time in a known form (YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM])',
      'timestamp "2099-12-31T23:59:59+00:00" is more than a day after the message was received (2025-03-01T20:00:00.000Z)',
    ]);
  });
});

describe('local --events: a body over the 256 KiB limit', () => {
  it('is quarantined with its reason in one line, and the other bodies are processed', async () => {
    const root = await tempDir();
    const home = path.join(root, 'home');
    const file = path.join(root, 'recorded.ndjson');
    const huge = envelope(2, '2025-03-01T10:00:00+00:00', '2025-03-01T10:00:00.000Z', { padding: 'x'.repeat(300_000) });
    const bare = JSON.stringify({ timestamp: '2025-03-01T11:00:00+00:00', hostname: 'futel-prod.phu73l.net', event: { Event: 'UserEvent', Channel: '655', UserEvent: 'ivr', note: 'y'.repeat(270_000) } });
    await fs.writeFile(file, [envelope(1, '2025-03-01T09:00:00+00:00', '2025-03-01T09:00:00.000Z'), huge, bare, envelope(3, '2025-03-01T12:00:00+00:00', '2025-03-01T12:00:00.000Z')].join('\n'));

    const result = await runCli(['local', '--home', home, '--events', file]);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const refusals = result.stdout.split('\n').filter((line) => line.startsWith('refused'));
    expect(refusals).toEqual([
      expect.stringMatching(/^refused line 2 of the events file: body is 300,[\d,]+ bytes, over the 262,144-byte \(256 KiB\) limit of an SNS or SQS message; quarantined as .*bucket\/rejected\/\d{4}\/\d{2}\/\d{2}\/00000000-0000-4000-8000-000000000002\.json$/),
      expect.stringMatching(/^refused line 3 of the events file: body is 270,[\d,]+ bytes, over the 262,144-byte \(256 KiB\) limit of an SNS or SQS message; quarantined as .*bucket\/rejected\/\d{4}\/\d{2}\/\d{2}\/events-file-line-3-[0-9a-f]{16}\.json$/),
    ]);
    expect(result.stdout).toMatch(/^received 2, kept 2,/m);
    expect(result.stdout).not.toMatch(/\n\s+at /);
    expect(Object.keys(await dailyObjects(home))).toEqual(['events/prod/20250301']);
    expect((await dailyObjects(home))['events/prod/20250301']?.split('\n').filter(Boolean)).toHaveLength(2);
    const records = await quarantined(home);
    expect(records.map((record) => [record.source, record.body])).toEqual([
      ['events file recorded.ndjson, line 2', huge],
      [`events file recorded.ndjson, line 3`, bare],
    ]);
  });
});
