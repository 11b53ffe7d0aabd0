/**
 * Runs the CLI's `main` inside the test process — the same code path as the binary minus
 * process start-up (about a second each under tsx), for tests that make many runs. The
 * environment is scrubbed of AWS, GitHub and pipeline variables for the run and restored after;
 * stdout and stderr are captured. Runs must not overlap (jest runs a file's tests in order).
 */
import { main } from '../../../functions/cli/main.js';
import type { CleanRun } from './cli.js';

const SCRUBBED = /^(AWS_|GITHUB_|GH_TOKEN$|STATE_MACHINE_ARN$|QUEUE_URL$)/;

type Write = typeof process.stdout.write;

export async function runInProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CleanRun> {
  const savedEnv = { ...process.env };
  const savedExitCode = process.exitCode;
  const out: string[] = [];
  const err: string[] = [];
  const capture = (sink: string[]): Write =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const callback = rest.find((r): r is (error?: Error | null) => void => typeof r === 'function');
      if (callback) queueMicrotask(() => callback(null));
      return true;
    }) as Write;
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  for (const key of Object.keys(process.env)) if (SCRUBBED.test(key)) delete process.env[key];
  Object.assign(process.env, { AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true' }, env);
  process.exitCode = undefined;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
    process.exitCode = savedExitCode;
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
  }
}
