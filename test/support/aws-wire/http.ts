/** What the wire-level AWS fakes share: a `node:http` server on 127.0.0.1 and SigV4 header parsing. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WireServer {
  readonly url: string;
  close(): Promise<void>;
}

export type WireHandler = (request: { method: string; path: string; headers: http.IncomingHttpHeaders; body: string }) => Promise<WireResponse> | WireResponse;

export interface WireResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export async function startWireServer(handle: WireHandler): Promise<WireServer> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        let response: WireResponse;
        try {
          response = await handle({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        } catch (error) {
          response = { status: 500, headers: { 'content-type': 'text/plain' }, body: `fake failed: ${(error as Error).stack}` };
        }
        const body = Buffer.from(response.body ?? '', 'utf8');
        res.writeHead(response.status, { 'content-length': String(body.length), ...response.headers });
        res.end(body);
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface SigV4Authorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** `AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/iam/aws4_request, SignedHeaders=…, Signature=…`. */
export function parseSigV4(header: string | undefined): SigV4Authorization | null {
  if (!header) return null;
  const match = /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})\s*$/.exec(header);
  if (!match) return null;
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match as unknown as [string, string, string, string, string, string, string];
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature };
}
