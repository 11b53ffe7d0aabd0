/** Runs the real `usage-pipeline` binary, as a user would. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from './fixtures.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** A command that runs the CLI (e.g. in another mount namespace): `[...wrapper, node, bin, ...args]`. */
  wrapper?: readonly string[];
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const [command, ...prefix] = [...(options.wrapper ?? []), process.execPath];
  return new Promise((resolve) => {
    execFile(
      command as string,
      [...prefix, path.join(PROJECT_ROOT, 'bin', 'usage-pipeline.mjs'), ...args],
      { cwd: options.cwd ?? PROJECT_ROOT, env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
