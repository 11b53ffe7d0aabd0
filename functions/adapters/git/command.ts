/**
 * Running the `git` CLI: through `execFile` with an argument array (never a shell), content on
 * stdin, so paths, messages and contents can hold any byte. The environment is scrubbed of
 * inherited `GIT_*` variables and of the user's global/system configuration: a test running
 * inside a git hook (GIT_DIR set) or a developer's `commit.gpgSign = true` must not change what
 * is written.
 */
import { execFile } from 'node:child_process';
import os from 'node:os';
import { AdapterError } from '../errors.js';

/** Large enough for a recursive listing of a very big tree or a 100 MB blob. */
const MAX_OUTPUT_BYTES = 1024 * 1024 * 1024;

export class GitCommandError extends AdapterError {
  constructor(
    readonly args: readonly string[],
    /** git's exit status; null when a signal ended it. */
    readonly gitStatus: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed (exit ${gitStatus ?? 'signal'}): ${stderr.trim() || 'no output'}`);
  }
}

export interface RunOptions {
  input?: Buffer | string;
  env?: Record<string, string>;
  /** Exit codes that are answers rather than failures (e.g. 1 for `merge-base --is-ancestor`). */
  okExitCodes?: readonly number[];
}

export interface RunResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
}

function scrubbedEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('GIT_')) env[key] = value;
  }
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: os.devNull,
    GIT_TERMINAL_PROMPT: '0',
    // Error messages are matched below (ref lock conflicts), so they must not be translated.
    LC_ALL: 'C',
    LANGUAGE: 'C',
    // fast-import and write-tree allocate and free a buffer per object; glibc's default
    // heap trimming turns that into a brk() pair per object, which measured 7x slower for
    // 20,000 blobs (1.4 s vs 0.2 s). Keeping 32 MiB of slack at the top of the heap avoids it.
    MALLOC_TOP_PAD_: String(32 * 1024 * 1024),
  };
}

const BASE_ENV = scrubbedEnvironment();

/** Runs git without a repository context (init, discovery). */
export function runGit(args: readonly string[], cwd: string, options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args as string[],
      { cwd, env: { ...BASE_ENV, ...options.env }, encoding: 'buffer', maxBuffer: MAX_OUTPUT_BYTES, windowsHide: true },
      (error, stdout, stderr) => {
        const stderrText = stderr.toString('utf8');
        if (!error) {
          resolve({ stdout, stderr: stderrText, exitCode: 0 });
          return;
        }
        const code = (error as NodeJS.ErrnoException & { code?: unknown }).code;
        if (typeof code === 'number') {
          if (options.okExitCodes?.includes(code)) resolve({ stdout, stderr: stderrText, exitCode: code });
          else reject(new GitCommandError(args, code, stderrText));
          return;
        }
        reject(error);
      },
    );
    // git may exit before reading all of stdin (e.g. on a bad argument); the exit status is
    // what reports that, so a broken pipe here is not an error of its own.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}
