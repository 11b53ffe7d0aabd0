import { promises as fs } from 'node:fs';
import { expect, it } from '@jest/globals';
import { classifyMessage } from '../../functions/core/classify.js';
import { mergeDailyObject } from '../../functions/core/daily-object.js';
import { buildDayShard } from '../../functions/core/day-shard.js';
import { describeWithFixtures, fixture } from '../support/fixtures.js';

describeWithFixtures('sns-20250301: real queue bodies classify, merge and build to the published shard', () => {
  it('classifies the 2,654 bodies into the expected counts and builds the expected day shard', async () => {
    const expected = JSON.parse(await fs.readFile(fixture('messages', 'sns-20250301.expected.json'), 'utf8'));
    const bodies = (await fs.readFile(fixture('messages', 'sns-20250301.ndjson'), 'utf8')).split('\n').filter((l) => l !== '');
    expect(bodies).toHaveLength(expected.messages);

    const dropped: Record<string, number> = {};
    const kept: string[] = [];
    const days = new Set<string>();
    let malformed = 0;
    for (const body of bodies) {
      const result = classifyMessage(body);
      if (result.kind === 'kept') {
        kept.push(result.line);
        days.add(result.day);
      } else if (result.kind === 'dropped') dropped[result.reason] = (dropped[result.reason] ?? 0) + 1;
      else malformed++;
    }
    expect({ useful: kept.length, dropped, malformed, days: [...days] }).toEqual({
      useful: expected.useful,
      dropped: expected.dropped,
      malformed: expected.malformed,
      days: [expected.day],
    });

    // Delivered in two overlapping halves, as retries would: the union is what counts.
    const first = mergeDailyObject(null, kept.slice(0, 1500));
    const daily = mergeDailyObject(first.text, kept.slice(1000));
    const shard = buildDayShard(daily.text);
    const expectedShard = await fs.readFile(fixture(expected.expected_day_shard), 'utf8');
    expect(shard.rejections).toEqual([]);
    expect(shard.json === expectedShard).toBe(true);

    // The merged object is the drainer's daily object for that day, byte for byte.
    const expectedDaily = await fs.readFile(fixture('futel-2025-03', 'input', 'events', 'prod', expected.day), 'utf8');
    expect(daily.text === expectedDaily).toBe(true);
  });
});
