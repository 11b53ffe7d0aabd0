/**
 * moto on 127.0.0.1, through the project's launcher (test/deploy/moto-launcher.py, which patches
 * the gaps that stop the Terraform AWS provider). The launcher serves HTTPS with a certificate of
 * its own (and plain HTTP on a second port), picks free ports and reports them; it stops when
 * `stop()` is called or when this process ends (its stdin closes). Every error answer it gives
 * is kept, so a failing step can say what moto answered.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { motoPython, PROJECT_ROOT } from '../support/tools.js';

export const MOTO_LAUNCHER = path.join(PROJECT_ROOT, 'test', 'deploy', 'moto-launcher.py');
/** moto's default account, in every ARN it makes. */
export const MOTO_ACCOUNT_ID = '123456789012';

export interface MotoAnswer {
  readonly service: string | null;
  readonly action: string;
  readonly status: number;
  readonly code: string | null;
  readonly message: string;
  /** The SDK's `amz-sdk-request` header (`attempt=2; max=25`): a retry, if the attempt is over 1. */
  readonly attempt?: string | null;
}

export interface Moto {
  /** `https://127.0.0.1:PORT`. */
  readonly endpoint: string;
  /** The same server over plain HTTP, which real AWS endpoints (and the stack's bucket policy) refuse. */
  readonly httpEndpoint: string;
  /** The PEM file of the certificate `endpoint` presents. */
  readonly caBundle: string;
  /** Every error answer so far, oldest first. */
  readonly answers: readonly MotoAnswer[];
  /** The distinct error answers since `answers.length` was `since`, one line each (most frequent first), reads answered 404 left out. */
  describeAnswers(since: number): string;
  stop(): Promise<void>;
}

/** `trace`: a file that gets every request moto answers (see the launcher's --trace). */
export async function startMoto(options: { env?: NodeJS.ProcessEnv; trace?: string; startTimeoutMs?: number } = {}): Promise<Moto> {
  const { env = process.env, trace, startTimeoutMs = 60_000 } = options;
  const child: ChildProcessWithoutNullStreams = spawn(motoPython(env), [MOTO_LAUNCHER, ...(trace ? ['--trace', trace] : [])], { env, stdio: 'pipe' });
  const answers: MotoAnswer[] = [];
  const serverLog: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    try {
      answers.push(JSON.parse(line) as MotoAnswer);
    } catch {
      serverLog.push(line);
      if (serverLog.length > 200) serverLog.shift();
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const listening = await new Promise<{ endpoint: string; http_endpoint: string; ca_bundle: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`moto did not start within ${startTimeoutMs / 1000} s: ${serverLog.join(' | ')}`)), startTimeoutMs);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('{"endpoint"')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as { endpoint: string; http_endpoint: string; ca_bundle: string });
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`moto launcher could not start: ${error.message}`));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`moto launcher exited (status ${code}) before listening: ${serverLog.join(' | ')}`));
    });
  });

  return {
    endpoint: listening.endpoint,
    httpEndpoint: listening.http_endpoint,
    caBundle: listening.ca_bundle,
    answers,
    describeAnswers(since: number): string {
      const counts = new Map<string, number>();
      // A 404 to a read is how the provider finds a setting absent (a bucket's CORS, its website…): not news.
      for (const answer of answers.slice(since).filter((a) => !(a.status === 404 && /^(GET|HEAD) /.test(a.action)))) {
        const retry = /attempt=(\d+)/.exec(answer.attempt ?? '')?.[1];
        const line = `${answer.service ?? '?'} ${answer.action} → ${answer.status} ${answer.code ?? ''}: ${answer.message}`.slice(0, 300) + (retry && retry !== '1' ? ` (the client's attempt ${retry})` : '');
        counts.set(line, (counts.get(line) ?? 0) + 1);
      }
      const lines = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([line, count]) => `  ${line}${count > 1 ? ` (×${count})` : ''}`);
      const answered = counts.size === 0 ? 'moto answered no request with an error' : `moto's error answers (${counts.size} distinct):\n${lines.join('\n')}`;
      // What its HTTP server logged (dropped connections, TLS errors), if anything.
      return serverLog.length === 0 ? answered : `${answered}\nmoto's server logged:\n${serverLog.slice(-8).map((line) => `  ${line.slice(0, 300)}`).join('\n')}`;
    },
    async stop(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      child.kill('SIGTERM');
      await exited;
    },
  };
}
