import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { buildChartsFiles } from '../../functions/charts/page-files.js';

const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

describe('buildChartsFiles', () => {
  it('publishes the page, its script and its stylesheet under charts/ only', async () => {
    const files = await buildChartsFiles();
    expect([...files.keys()]).toEqual(['charts/index.html', 'charts/app.css', 'charts/app.js']);
    for (const bytes of files.values()) expect(bytes.byteLength).toBeGreaterThan(0);
  });

  it('gives the same bytes every time', async () => {
    const digest = (files: Map<string, Uint8Array>) =>
      [...files].map(([name, bytes]) => `${name} ${createHash('sha256').update(bytes).digest('hex')}`);
    expect(digest(await buildChartsFiles())).toEqual(digest(await buildChartsFiles()));
  });

  it('links the bundle by content hash and relative URL', async () => {
    const files = await buildChartsFiles();
    const html = text(files.get('charts/index.html'));
    const hash = (name: string) => createHash('sha256').update(files.get(name) as Uint8Array).digest('hex').slice(0, 12);
    expect(html).toContain(`<script defer src="app.js?v=${hash('charts/app.js')}"></script>`);
    expect(html).toContain(`<link rel="stylesheet" href="app.css?v=${hash('charts/app.css')}">`);
    expect(html).not.toMatch(/(src|href)="\//);
  });

  it('bundles uPlot with its licence notice, and reads only the summary files', async () => {
    const files = await buildChartsFiles();
    const js = text(files.get('charts/app.js'));
    expect(js).toMatch(/^\/\*! uPlot v1\.\d+\.\d+ .*MIT License/);
    expect(js).toContain('../data/summary/index.json');
    expect(js).not.toMatch(/data\/date\//);
    // No paths of the machine that built it.
    expect(js).not.toContain(process.cwd());
    expect(text(files.get('charts/app.css'))).toContain('.uplot');
  });
});
