/**
 * Runs the real `usage-pipeline` binary with a CLEAN environment (only PATH and HOME, plus
 * what the test gives): no AWS credentials, region or config from the machine running the
 * tests can leak in, and a test can show a command needs none.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../fixtures.js';

export interface CleanRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCleanCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CleanRun> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', ...options.env };
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'usage-pipeline.mjs'), ...args], { cwd: PROJECT_ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
