import { promises as fs } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStaticServer, type StaticServer } from '../../local/static-server.js';
import { tempDir } from '../support/temp.js';

/** A raw GET, so paths reach the server exactly as written (no client-side normalisation). */
function get(origin: string, rawPath: string): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(origin);
    const request = http.request({ hostname, port, path: rawPath, method: 'GET' }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'], body }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('the static server behind `usage-pipeline serve`', () => {
  let root: string;
  let server: StaticServer;
  beforeAll(async () => {
    const parent = await tempDir();
    root = path.join(parent, 'site');
    await fs.mkdir(path.join(root, 'charts'), { recursive: true });
    await fs.writeFile(path.join(root, 'charts', 'index.html'), '<title>charts</title>');
    await fs.writeFile(path.join(parent, 'secret.txt'), 'outside the site');
    // What a published checkout holds besides the site: its repository, and links a branch may carry.
    await fs.mkdir(path.join(root, '.git'));
    await fs.writeFile(path.join(root, '.git', 'config'), 'repository config');
    await fs.writeFile(path.join(root, 'charts', '.env'), 'hidden file');
    await fs.mkdir(path.join(root, 'data'));
    await fs.writeFile(path.join(root, 'data', 'day.json'), '[]');
    await fs.symlink(path.join(parent, 'secret.txt'), path.join(root, 'data', 'link.json'));
    await fs.symlink(parent, path.join(root, 'data', 'up'));
    await fs.symlink('day.json', path.join(root, 'data', 'alias.json'));
    server = await startStaticServer({ root });
  });
  afterAll(() => server.close());

  it('listens on the loopback interface and serves index.html for a directory', async () => {
    expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await get(server.origin, '/charts/')).toEqual({ status: 200, type: 'text/html; charset=utf-8', body: '<title>charts</title>' });
  });

  it('never serves a file outside the site', async () => {
    for (const attempt of ['/../secret.txt', '/%2e%2e/secret.txt', '/charts/..%2f..%2fsecret.txt', '/%2E%2E%2Fsecret.txt']) {
      const response = await get(server.origin, attempt);
      expect({ attempt, leaked: response.body.includes('outside the site'), refused: [400, 403, 404].includes(response.status) }).toEqual({ attempt, leaked: false, refused: true });
    }
  });

  it('serves no dot-path: not the repository, not a hidden file, however the path is spelt', async () => {
    for (const attempt of ['/.git/config', '/.git/', '/%2egit/config', '/charts/.env', '/charts/%2Eenv', '/data/../.git/config']) {
      const response = await get(server.origin, attempt);
      expect({ attempt, status: response.status, leaked: /repository config|hidden file/.test(response.body) }).toEqual({ attempt, status: 404, leaked: false });
    }
  });

  it('follows no link out of the site, but serves a link that stays inside it', async () => {
    for (const attempt of ['/data/link.json', '/data/up/secret.txt']) {
      const response = await get(server.origin, attempt);
      expect({ attempt, status: response.status, leaked: response.body.includes('outside the site') }).toEqual({ attempt, status: 404, leaked: false });
    }
    expect(await get(server.origin, '/data/alias.json')).toEqual({ status: 200, type: 'application/json', body: '[]' });
  });
});
