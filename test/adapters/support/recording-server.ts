/**
 * A tiny HTTP server on 127.0.0.1 that records every request and answers with whatever the
 * test's handler says: for checking what an SDK client sends and how an adapter reads
 * responses the emulators never give (412, 403, 503, malformed batches, dropped connections).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface CannedResponse {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Announce this Content-Length, send the body, then drop the connection: a body cut short. */
  readonly cutShortAt?: number;
}

/** A response, or `'drop'` to destroy the connection without answering. */
export type Handler = (request: RecordedRequest) => CannedResponse | 'drop';

export interface RecordingServer {
  readonly endpoint: string;
  readonly requests: RecordedRequest[];
  /** Replaces the handler for the requests that follow. */
  respond(handler: Handler): void;
  close(): Promise<void>;
}

export async function startRecordingServer(initial: Handler = () => ({ status: 500 })): Promise<RecordingServer> {
  let handler = initial;
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(recorded);
      const response = handler(recorded);
      if (response === 'drop') {
        req.socket.destroy();
        return;
      }
      const body = req.method === 'HEAD' ? '' : (response.body ?? '');
      const length = response.cutShortAt ?? Buffer.byteLength(response.body ?? '');
      res.writeHead(response.status, { 'content-length': String(length), ...response.headers });
      if (response.cutShortAt === undefined) res.end(body);
      else res.write(body, () => setTimeout(() => req.socket.destroy(), 10));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    respond: (next) => {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
