import { describe, expect, it } from '@jest/globals';
import middy from '@middy/core';
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';

describe('module format', () => {
  it('loads the ESM-only middy and Octokit packages', async () => {
    const handler = middy(async (event: { n: number }) => event.n * 2);
    await expect(handler({ n: 21 }, {} as never)).resolves.toBe(42);
    const Kit = Octokit.plugin(retry, throttling);
    const kit = new Kit({ throttle: { onRateLimit: () => false, onSecondaryRateLimit: () => false } });
    expect(typeof kit.rest.git.createTree).toBe('function');
  });
});
