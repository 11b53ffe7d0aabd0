/**
 * Serves a published site directory as GitHub Pages would (`dir/` serves `dir/index.html`,
 * nothing outside the root), on the loopback interface: enough to open the charts page over
 * locally built data.
 *
 * The site is a git checkout: no path with a segment starting with a dot is served (`.git/`,
 * hidden files), and a symbolic link is followed only when its target is inside the site.
 */
import { createReadStream, promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export interface StaticServerOptions {
  readonly root: string;
  readonly host?: string;
  readonly port?: number;
  /** Sees every request path first; returning a status answers with it instead (tests play failures). */
  readonly intercept?: (pathname: string) => number | undefined;
}

export interface StaticServer {
  readonly origin: string;
  close(): Promise<void>;
}

export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const base = path.resolve(options.root);
  const server = http.createServer((request, response) => {
    const send = (status: number, body: string) => {
      response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(body);
    };
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    } catch {
      return send(400, 'bad request');
    }
    const forced = options.intercept?.(pathname);
    if (forced !== undefined) return send(forced, http.STATUS_CODES[forced] ?? 'error');
    // Refused as "not found", as GitHub Pages does: the answer says nothing about what exists.
    if (pathname.split(/[/\\]/).some((segment) => segment.startsWith('.'))) return send(404, 'not found');
    const file = path.join(base, pathname.endsWith('/') ? `${pathname}index.html` : pathname);
    if (file !== base && !file.startsWith(`${base}${path.sep}`)) return send(403, 'forbidden');
    resolveInside(base, file)
      .then(async (real) => ({ real, stat: real ? await fs.stat(real) : null }))
      .then(
        ({ real, stat }) => {
          if (!real || !stat?.isFile()) return send(404, 'not found');
          response.writeHead(200, {
            'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
            'content-length': stat.size,
            'cache-control': 'no-store',
          });
          createReadStream(real)
            .on('error', () => response.destroy())
            .pipe(response);
        },
        () => send(404, 'not found'),
      );
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The file's real path (every link resolved) when that is inside the site's real root; else null. */
async function resolveInside(base: string, file: string): Promise<string | null> {
  const [root, real] = await Promise.all([fs.realpath(base), fs.realpath(file)]);
  return real === root || real.startsWith(`${root}${path.sep}`) ? real : null;
}
