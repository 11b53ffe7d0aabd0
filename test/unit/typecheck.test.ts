import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { PROJECT_ROOT } from '../support/fixtures.js';

const run = promisify(execFile);

// ts-jest only transpiles; the types are checked here, so `npm test` refuses what `tsc` refuses.
describe('TypeScript', () => {
  it.each([['tsconfig.json'], ['functions/charts/app/tsconfig.json']])('%s type-checks with no errors', async (project) => {
    const tsc = path.join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '--noEmit', '-p', project], { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024 }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code?: number; stdout?: string }) => ({ code: error.code ?? 1, stdout: error.stdout ?? '' }),
    );
    expect(result.stdout).toBe('');
    expect(result.code).toBe(0);
  });
});
