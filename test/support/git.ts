/** git for checking what a test produced, with the developer's config and GIT_* variables out of the way. */
import { execFile } from 'node:child_process';
import os from 'node:os';

export const gitEnv: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_'))),
  GIT_CONFIG_GLOBAL: os.devNull,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test Outsider',
  GIT_AUTHOR_EMAIL: 'outsider@example.test',
  GIT_COMMITTER_NAME: 'Test Outsider',
  GIT_COMMITTER_EMAIL: 'outsider@example.test',
};

export interface GitRawOptions {
  readonly input?: string | Buffer;
  readonly env?: NodeJS.ProcessEnv;
  /** false: run in `dir` as a work tree instead of passing it as `--git-dir`. */
  readonly bare?: boolean;
}

/** Runs git on a repository and returns its raw output. */
export function gitRaw(dir: string, args: readonly string[], options: GitRawOptions = {}): Promise<Buffer> {
  const fullArgs = options.bare === false ? [...args] : ['--git-dir', dir, ...args];
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      fullArgs,
      { cwd: dir, env: { ...gitEnv, ...options.env }, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => (error ? reject(new Error(`git ${fullArgs.join(' ')}: ${stderr.toString()}`)) : resolve(stdout)),
    );
    // git may exit before reading stdin; its exit status reports any real failure.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}
