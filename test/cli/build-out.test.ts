import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { runCli } from '../support/cli.js';
import { runCliWithReadOnly, runCliWithUnwritable } from '../support/read-only.js';
import { listFiles, tempDir } from '../support/temp.js';

const LINE = '{"timestamp": "2025-03-01T10:00:00+00:00", "channel": "PJSIP/655-0001", "endpoint": "655", "event": "ivr"}\n';

async function bucket(): Promise<{ root: string; input: string }> {
  const root = await tempDir();
  const input = path.join(root, 'bucket');
  await fs.mkdir(path.join(input, 'events', 'prod'), { recursive: true });
  await fs.writeFile(path.join(input, 'events', 'prod', '20250301'), LINE);
  return { root, input };
}

/** Every entry under a directory, hidden ones included. */
async function everything(root: string): Promise<string[]> {
  return (await fs.readdir(root, { recursive: true })).map(String).sort();
}

function expectOneLine(result: { code: number; stdout: string; stderr: string }, message: RegExp): void {
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: '' });
  expect(result.stderr).toMatch(message);
  expect(result.stderr.endsWith('\n') && result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('usage-pipeline build --out: refuses a directory it must not write into', () => {
  it.each([
    ['the root of the file system', async () => '/', /^usage-pipeline: --out \/ is the root of the file system\n$/],
    ['the input directory', async (input: string) => input, /^usage-pipeline: --out .*bucket is the --input directory\n$/],
    ['a parent of the input directory', async (input: string) => path.dirname(input), /^usage-pipeline: --out .* holds the --input directory .*bucket\n$/],
    ['a link to the input directory', async (input: string) => {
      const link = path.join(path.dirname(input), 'link');
      await fs.symlink(input, link);
      return link;
    }, /is the --input directory\n$/],
    ['a directory inside the daily objects', async (input: string) => path.join(input, 'events', 'prod', 'data'), /is inside the daily objects of --input \(events\/prod\/\)\n$/],
    ['the directory that holds the daily objects', async (input: string) => path.join(input, 'events'), /--out .*bucket\/events holds the daily objects of --input \(events\/prod\/\)\n$/],
    ['a directory that is not empty and holds no previous build', async (input: string) => {
      const other = path.join(path.dirname(input), 'project');
      await fs.mkdir(other);
      await fs.writeFile(path.join(other, 'notes.txt'), 'mine');
      return other;
    }, /--out .*project is not empty and holds no previous build/],
  ])('%s', async (_label, makeOut, message) => {
    const { root, input } = await bucket();
    const out = await makeOut(input);
    const before = await everything(root);
    expectOneLine(await runCli(['build', '--input', input, '--out', out]), message);
    expect(await everything(root)).toEqual(before);
  });

  it('the home directory and its parents', async () => {
    const { root, input } = await bucket();
    const home = path.join(root, 'home', 'someone');
    await fs.mkdir(home, { recursive: true });
    for (const [out, message] of [
      [home, /--out .*someone is the home directory/],
      [path.dirname(home), /--out .*home holds the home directory/],
    ] as const) {
      expectOneLine(await runCli(['build', '--input', input, '--out', out], { env: { HOME: home } }), message);
    }
    expect(await everything(path.join(root, 'home'))).toEqual(['someone']);
  });

  it('a read-only --out, naming it', async () => {
    const { root, input } = await bucket();
    const out = path.join(root, 'data');
    await fs.mkdir(out);
    const result = await runCliWithReadOnly(out, ['build', '--input', input, '--out', out]);
    expectOneLine(result, /^usage-pipeline: --out .*data is not writable: .*data: (read-only file system \(EROFS\)|permission denied \(EACCES\))\n$/);
  });
});

describe('usage-pipeline build: a write that fails midway', () => {
  it('is one line naming the path and the cause, never a stack trace', async () => {
    const { root, input } = await bucket();
    const out = path.join(root, 'data');
    expect((await runCli(['build', '--input', input, '--out', out])).code).toBe(0);
    const month = path.join(out, 'date', '2025', '03');
    const result = await runCliWithUnwritable(month, ['build', '--input', input, '--out', out, '--force', '--layouts', 'date']);
    // The day's shard is unchanged and not rewritten; a new day's shard cannot be written.
    expect(result.code).toBe(0);
    await fs.writeFile(path.join(input, 'events', 'prod', '20250302'), LINE.replace('2025-03-01', '2025-03-02'));
    const failed = await runCliWithUnwritable(month, ['build', '--input', input, '--out', out]);
    expectOneLine(failed, /^usage-pipeline: cannot (rename|link|open) .*: (operation not permitted \(EPERM\)|permission denied \(EACCES\))\n$/);
    expect(failed.stderr).toContain(out);
  });
});

describe('usage-pipeline build --out: what it accepts, and what it leaves there', () => {
  it('builds into a new directory, an empty one, a previous build, and the bucket\'s own site copy, and leaves no store internals', async () => {
    const { root, input } = await bucket();
    const empty = path.join(root, 'empty');
    await fs.mkdir(empty);
    for (const out of [path.join(root, 'new', 'data'), empty, empty, path.join(input, 'site', 'data')]) {
      const result = await runCli(['build', '--input', input, '--out', out, '--json']);
      expect({ out, code: result.code, stderr: result.stderr }).toEqual({ out, code: 0, stderr: '' });
      const files = await everything(out);
      expect(files).toContain('date/2025/03/20250301.json');
      expect(files.filter((file) => file.startsWith('.'))).toEqual([]);
    }
    expect(await listFiles(path.join(input, 'events'))).toEqual(['prod/20250301']);
  });

  it('removes store internals a crashed build left behind', async () => {
    const { root, input } = await bucket();
    const out = path.join(root, 'data');
    await fs.mkdir(path.join(out, '.fs-object-store', 'tmp'), { recursive: true });
    await fs.writeFile(path.join(out, '.fs-object-store', 'tmp', '123-abc'), 'half a file');
    await fs.writeFile(path.join(out, 'updated_state.json'), '{}');
    const result = await runCli(['build', '--input', input, '--out', out]);
    expect(result.code).toBe(0);
    expect((await everything(out)).filter((file) => file.startsWith('.'))).toEqual([]);
  });
});
