/**
 * Bundles of our sources (functions/support/source-bundle.mjs): made once, used while their
 * sources are as they were, made again when one changes, and `null` (the command then runs the
 * sources through tsx) when one cannot be made. Each source keeps its own `import.meta.url`;
 * the text in a string stays as it is.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { PROJECT_ROOT } from '../support/fixtures.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

type BundledEntry = (options?: { projectRoot?: string; entry?: string; cacheDirectory?: string }) => Promise<string | null>;
const { bundledEntry } = (await import(pathToFileURL(path.join(PROJECT_ROOT, 'functions', 'support', 'source-bundle.mjs')).href)) as { bundledEntry: BundledEntry };

const SOURCES: Record<string, string> = {
  'src/main.ts': `import { here } from './lib/where.js';\nexport const main = (): string[] => [here(), 'import.meta.url', VERSION];\nconst VERSION: string = 'one';\n`,
  'src/lib/where.ts': `export const here = (): string => import.meta.url;\n`,
};

async function project(): Promise<{ root: string; cache: string; options: { projectRoot: string; entry: string; cacheDirectory: string } }> {
  const root = await tempDir();
  for (const [file, text] of Object.entries(SOURCES)) {
    await fs.mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await fs.writeFile(path.join(root, file), text);
  }
  const cache = path.join(root, 'cache');
  return { root, cache, options: { projectRoot: root, entry: 'src/main.ts', cacheDirectory: cache } };
}

async function run(url: string): Promise<string[]> {
  // A query makes each import a module of its own, as each command's process has.
  return ((await import(`${url}?${Math.random()}`)) as { main: () => string[] }).main();
}

/**
 * Rewrites a file with a modification time of its own: an edit within the file system's
 * timestamp granularity of the bundle would otherwise look the same (a bundle records a
 * source only when it is older than the bundle).
 */
async function edit(file: string, text: string): Promise<void> {
  await fs.writeFile(file, text);
  const earlier = new Date(Date.now() - 10_000);
  await fs.utimes(file, earlier, earlier);
}

describe('source bundles', () => {
  it('is made once and used while its sources stay as they were; each source keeps its own import.meta.url', async () => {
    const { root, cache, options } = await project();
    const first = await bundledEntry(options);
    expect(first).not.toBeNull();
    expect(await run(first!)).toEqual([pathToFileURL(path.join(root, 'src/lib/where.ts')).href, 'import.meta.url', 'one']);
    expect(await bundledEntry(options)).toBe(first);
    expect((await fs.readdir(cache)).filter((name) => name.startsWith('bundle-'))).toHaveLength(1);
  });

  it('is made again when a source changes', async () => {
    const { root, options } = await project();
    const first = await bundledEntry(options);
    await edit(path.join(root, 'src/main.ts'), (SOURCES['src/main.ts'] as string).replace("'one'", "'two'"));
    const second = await bundledEntry(options);
    expect(second).not.toBe(first);
    expect((await run(second!))[2]).toBe('two');
    expect(await bundledEntry(options)).toBe(second);
  });

  it('is null when a source does not compile, or the cache cannot be written', async () => {
    const broken = await project();
    await edit(path.join(broken.root, 'src/lib/where.ts'), 'export const here = (: string => ;\n');
    expect(await bundledEntry(broken.options)).toBeNull();
    const unwritable = await project();
    await fs.writeFile(unwritable.cache, 'a file where the cache directory should be');
    expect(await bundledEntry(unwritable.options)).toBeNull();
  });

  it('are what the real command and its build threads run', async () => {
    const help = await runCli(['build', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: usage-pipeline build');
    const cache = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'usage-pipeline');
    const manifestFile = path.join(cache, 'functions-cli-main', 'manifest.json');
    const manifest = JSON.parse(await fs.readFile(manifestFile, 'utf8')) as { entry: string; inputs: Array<[string, number, number]> };
    expect(manifest.entry).toBe('functions/cli/main.ts');
    const inputs = manifest.inputs.map(([file]) => file);
    expect(inputs).toEqual(expect.arrayContaining(['functions/cli/commands/build.ts', 'functions/cli/commands/local.ts', 'functions/generator/month-pool.ts']));
    // The build's worker threads: a bundle of the month task of its own.
    const monthTask = await bundledEntry({ entry: 'functions/generator/month-task.ts' });
    expect(monthTask).toBe(pathToFileURL(path.join(cache, 'functions-generator-month-task', JSON.parse(await fs.readFile(path.join(cache, 'functions-generator-month-task', 'manifest.json'), 'utf8')).directory, 'month-task.js')).href);
    expect(typeof ((await import(monthTask!)) as { default: unknown }).default).toBe('function');
  });
});
