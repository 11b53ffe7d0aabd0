/**
 * A tiny HTTP server on 127.0.0.1 that records every request and answers with whatever the
 * test's handler says: for checking what an SDK client sends and how an adapter reads
 * responses the emulators never give (412, 403, 503, malformed batches, dropped connections).
 *
 * Given an upstream (an emulator's endpoint), it is a proxy on the wire: the handler forwards
 * the requests it lets through and answers the others itself, so a whole program runs against
 * the real emulator while chosen requests meet a real service's failures.
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

/**
 * How to answer one request:
 * - a canned response;
 * - `'drop'`: close the connection without answering;
 * - `'reset'`: reset the connection (TCP RST) without answering;
 * - `'forward'`: pass it to the upstream and its answer back;
 * - `'forward-truncated'`: pass it on, and send back the upstream's status, headers and
 *   Content-Length but only the first half of its body, then drop the connection.
 */
export type Reply = CannedResponse | 'drop' | 'reset' | 'forward' | 'forward-truncated';

/** Decides the answer; it may first act (e.g. write to the upstream as another client would). */
export type Handler = (request: RecordedRequest) => Reply | Promise<Reply>;

export interface RecordingServer {
  readonly endpoint: string;
  readonly requests: RecordedRequest[];
  /** What each request in `requests` was answered, in words: `forwarded 200`, `503`, `reset`. */
  readonly answers: string[];
  /** Replaces the handler for the requests that follow. */
  respond(handler: Handler): void;
  close(): Promise<void>;
}

export interface RecordingServerOptions {
  /** Where `'forward'` sends requests (`http://127.0.0.1:PORT`). */
  readonly upstream?: string;
}

export async function startRecordingServer(initial: Handler = () => ({ status: 500 }), options: RecordingServerOptions = {}): Promise<RecordingServer> {
  let handler = initial;
  const requests: RecordedRequest[] = [];
  const answers: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(recorded);
      const index = answers.push('pending') - 1;
      void Promise.resolve()
        .then(() => handler(recorded))
        .then(
          (reply) => answer(reply),
          (error: Error) => answer({ status: 500, headers: { 'content-type': 'text/plain' }, body: `the test's handler failed: ${error.stack}` }),
        );
      function answer(reply: Reply): void {
        if (reply === 'drop' || reply === 'reset') {
          answers[index] = reply;
          if (reply === 'reset') req.socket.resetAndDestroy();
          else req.socket.destroy();
          return;
        }
        if (reply === 'forward' || reply === 'forward-truncated') {
          const upstream = options.upstream;
          if (!upstream) return answer({ status: 502, body: 'the recording server has no upstream to forward to' });
          forward(upstream, recorded).then(
            (upstream) => {
              answers[index] = `forwarded ${upstream.status}${reply === 'forward-truncated' ? ', body cut short' : ''}`;
              const body = req.method === 'HEAD' ? Buffer.alloc(0) : upstream.body;
              res.writeHead(upstream.status, upstream.headers);
              if (reply === 'forward') res.end(body);
              else cutShort(res, req, body.subarray(0, Math.floor(body.length / 2)));
            },
            (error: Error) => {
              answers[index] = `upstream failed: ${error.message}`;
              req.socket.destroy();
            },
          );
          return;
        }
        answers[index] = String(reply.status);
        const body = req.method === 'HEAD' ? '' : reply.body ?? '';
        const length = reply.cutShortAt ?? Buffer.byteLength(reply.body ?? '');
        res.writeHead(reply.status, { 'content-length': String(length), ...reply.headers });
        if (reply.cutShortAt === undefined) res.end(body);
        else cutShort(res, req, Buffer.from(body));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    answers,
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

/** Sends part of a body whose full length was announced, then drops the connection. */
function cutShort(res: http.ServerResponse, req: http.IncomingMessage, part: Buffer): void {
  res.write(part, () => setImmediate(() => req.socket.destroy()));
}

interface UpstreamResponse {
  readonly status: number;
  readonly headers: http.OutgoingHttpHeaders;
  readonly body: Buffer;
}

function forward(upstream: string, request: RecordedRequest): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(new URL(request.url, upstream), { method: request.method, headers: request.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const headers: http.OutgoingHttpHeaders = { ...response.headers };
        // Sent whole, with its length, whatever the upstream chose.
        delete headers['transfer-encoding'];
        delete headers.connection;
        const body = Buffer.concat(chunks);
        if (request.method !== 'HEAD') headers['content-length'] = String(body.length);
        resolve({ status: response.statusCode ?? 502, headers, body });
      });
    });
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}
