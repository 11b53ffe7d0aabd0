/**
 * `usage-pipeline local` with a home it cannot use: one line naming the path, exit 1, never a
 * stack trace, and no event taken from the input.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { runCli, type CliResult } from '../support/cli.js';
import { runCliWithReadOnly } from '../support/read-only.js';
import { tempDir } from '../support/temp.js';

const run = promisify(execFile);

function expectOneLine(result: CliResult, message: RegExp): void {
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: '' });
  expect(result.stderr).toMatch(message);
  expect(result.stderr.endsWith('\n') && result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at |unexpected error/);
}

describe('local refuses a home it cannot use', () => {
  it.each([
    ['--home is a file', async (home: string) => fs.writeFile(home, 'x'), /^usage-pipeline: --home .*home is a file, not a directory\n$/],
    ['HOME/bucket is a file', async (home: string) => {
      await fs.mkdir(home);
      await fs.writeFile(path.join(home, 'bucket'), 'x');
    }, /^usage-pipeline: HOME\/bucket .*home\/bucket is a file, not a directory\n$/],
    ['HOME/site is a file', async (home: string) => {
      await fs.mkdir(home);
      await fs.writeFile(path.join(home, 'site'), 'x');
    }, /^usage-pipeline: HOME\/site .*home\/site is a file, not a directory\n$/],
    ['HOME/site is a directory that is not a git repository', async (home: string) => {
      await fs.mkdir(path.join(home, 'site'), { recursive: true });
      await fs.writeFile(path.join(home, 'site', 'index.html'), 'mine');
    }, /^usage-pipeline: HOME\/site .*home\/site is not a git repository and not empty \(it holds index.html\): move it away or choose another --home\n$/],
    ['a part of the --home path is a file', async (home: string) => fs.writeFile(path.dirname(home), 'x'), /^usage-pipeline: --home .*file\/home cannot be created: .*file is a file, not a directory\n$/],
  ])('%s', async (label, prepare, message) => {
    const root = await tempDir();
    const home = label.startsWith('a part') ? path.join(root, 'file', 'home') : path.join(root, 'home');
    await prepare(home);
    const before = await fs.readdir(root, { recursive: true });
    expectOneLine(await runCli(['local', '--home', home, '--generate', '20']), message);
    expect(await fs.readdir(root, { recursive: true })).toEqual(before);
  });

  it('a read-only home, naming it, before taking any event', async () => {
    const root = await tempDir();
    const home = path.join(root, 'home');
    const first = await runCli(['local', '--home', home, '--generate', '20']);
    expect(first.code).toBe(0);
    const result = await runCliWithReadOnly(home, ['local', '--home', home, '--generate', '20']);
    expectOneLine(result, /^usage-pipeline: --home .*home is not writable: (read-only file system \(EROFS\)|permission denied \(EACCES\))\n$/);
  });

  it('a home to create under a read-only directory, naming that directory', async () => {
    const root = await tempDir();
    const parent = path.join(root, 'parent');
    await fs.mkdir(parent);
    const result = await runCliWithReadOnly(parent, ['local', '--home', path.join(parent, 'home'), '--generate', '20']);
    expectOneLine(result, /^usage-pipeline: --home .*parent\/home cannot be created: .*parent is not writable: (read-only file system \(EROFS\)|permission denied \(EACCES\))\n$/);
  });

  it('a published repository that cannot be written', async () => {
    const root = await tempDir();
    const home = path.join(root, 'home');
    expect((await runCli(['local', '--home', home, '--generate', '20'])).code).toBe(0);
    const result = await runCliWithReadOnly(path.join(home, 'site'), ['local', '--home', home, '--generate', '20']);
    expectOneLine(result, /^usage-pipeline: HOME\/site .*home\/site is not writable: (read-only file system \(EROFS\)|permission denied \(EACCES\))\n$/);
  });

  it('accepts an empty HOME/site, and a bare repository', async () => {
    const root = await tempDir();
    const empty = path.join(root, 'empty');
    await fs.mkdir(path.join(empty, 'site'), { recursive: true });
    expect((await runCli(['local', '--home', empty, '--generate', '20'])).code).toBe(0);
    const bare = path.join(root, 'bare');
    await run('git', ['init', '--quiet', '--bare', path.join(bare, 'site')]);
    const result = await runCli(['local', '--home', bare, '--generate', '20']);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  });
});

describe('serve refuses a home with nothing to serve', () => {
  it('names the missing site, or the file given as home, in one line', async () => {
    const root = await tempDir();
    await fs.writeFile(path.join(root, 'file'), 'x');
    expectOneLine(await runCli(['serve', '--home', path.join(root, 'none'), '--port', '0']), /^usage-pipeline: HOME\/site .*none\/site does not exist: nothing is published there yet/);
    expectOneLine(await runCli(['serve', '--home', path.join(root, 'file'), '--port', '0']), /^usage-pipeline: --home .*file is a file, not a directory\n$/);
  });
});

