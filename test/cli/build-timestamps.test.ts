import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

const line = (timestamp: string, endpoint = '655') =>
  `{"timestamp": ${JSON.stringify(timestamp)}, "channel": "PJSIP/${endpoint}-0001", "endpoint": "${endpoint}", "event": "ivr"}`;

describe('usage-pipeline build: timestamps that are not real times', () => {
  it('are rejected lines (file:line and reason, exit 2), and no published file holds them', async () => {
    const root = await tempDir();
    const input = path.join(root, 'bucket');
    const out = path.join(root, 'data');
    await fs.mkdir(path.join(input, 'events', 'prod'), { recursive: true });
    const lines = [line('2025-03-03T10:00:00+00:00'), line('2025-03-03garbage'), line('2025-03-03T11:00:00\n+00:00'), line('2025-03-03T25:00:00+00:00')].sort();
    await fs.writeFile(path.join(input, 'events', 'prod', '20250303'), `${lines.join('\n')}\n`);

    const result = await runCli(['build', '--input', input, '--out', out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('');
    const rejected = result.stdout.split('\n').filter((text) => text.startsWith('rejected '));
    expect(rejected).toEqual([
      `rejected events/prod/20250303:${lines.indexOf(line('2025-03-03T11:00:00\n+00:00')) + 1}: timestamp "2025-03-03T11:00:00\\n+00:00" is not a date and time in a known form (YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM])`,
      `rejected events/prod/20250303:${lines.indexOf(line('2025-03-03T25:00:00+00:00')) + 1}: timestamp "2025-03-03T25:00:00+00:00" is not a real time of day`,
      `rejected events/prod/20250303:${lines.indexOf(line('2025-03-03garbage')) + 1}: timestamp "2025-03-03garbage" is not a date and time in a known form (YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM])`,
    ].sort((a, b) => Number(a.split(':')[1]) - Number(b.split(':')[1])));
    expect(result.stdout).toContain('3 line(s) rejected: they are not in the published data');
    const shard = JSON.parse(await fs.readFile(path.join(out, 'date', '2025', '03', '20250303.json'), 'utf8'));
    expect(shard.map((event: { timestamp: string }) => event.timestamp)).toEqual(['2025-03-03T10:00:00+00:00']);
    expect(await fs.readFile(path.join(out, 'summary', 'index.json'), 'utf8')).toMatch(/"lastDay": ?"20250303"/);
  });
});
