/**
 * The step host (step-host.ts) as one JavaScript file for step processes, with the charts page
 * baked in. Building it takes about a second, so it is kept in the system's temporary
 * directory, per checkout, and rebuilt only when one of the files it was built from changed
 * (by modification time and size).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildChartsFiles, CHARTS_SOURCE_DIRECTORY } from '../../functions/charts/page-files.js';
import { FUNCTION_BUNDLE_OPTIONS, prebuiltChartsPlugin, prebuiltChartsSource } from '../../functions/charts/prebuilt-bundling.js';

const ENTRY = fileURLToPath(new URL('./step-host.ts', import.meta.url));
const CACHE = path.join(os.tmpdir(), `usage-pipeline-step-host-${createHash('sha256').update(ENTRY).digest('hex').slice(0, 12)}`);
const MANIFEST = path.join(CACHE, 'manifest.json');
/** Bundles of older sources are removed once they are this old. */
const STALE_MS = 3_600_000;

interface Manifest {
  readonly bundle: string;
  /** Absolute path → `mtimeMs:size` of every file the bundle was built from. */
  readonly inputs: Readonly<Record<string, string>>;
}

async function fingerprint(file: string): Promise<string | null> {
  const stat = await fs.stat(file).catch(() => null);
  return stat ? `${stat.mtimeMs}:${stat.size}` : null;
}

async function cached(): Promise<string | null> {
  const manifest = await fs.readFile(MANIFEST, 'utf8').then((text) => JSON.parse(text) as Manifest, () => null);
  if (!manifest) return null;
  const checks = await Promise.all(Object.entries(manifest.inputs).map(async ([file, print]) => (await fingerprint(file)) === print));
  if (!checks.every(Boolean)) return null;
  const bundle = path.join(CACHE, manifest.bundle);
  return (await fingerprint(bundle)) ? bundle : null;
}

async function build(): Promise<string> {
  const esbuild = await import('esbuild');
  await fs.mkdir(CACHE, { recursive: true });
  const charts = buildChartsFiles().then(prebuiltChartsSource);
  const result = await esbuild.build({
    entryPoints: [ENTRY],
    write: false,
    outfile: path.join(CACHE, 'step-host.mjs'),
    ...FUNCTION_BUNDLE_OPTIONS,
    // The local runner runs on this machine's Node (20 or later), not Lambda's.
    target: 'node20',
    metafile: true,
    logLevel: 'silent',
    plugins: [prebuiltChartsPlugin(() => charts)],
  });
  const code = result.outputFiles[0]?.contents;
  if (!code) throw new Error('bundling the step host produced no output');
  const inputs: Record<string, string> = {};
  const sources = [...Object.keys(result.metafile.inputs).map((input) => path.resolve(input)), ...(await chartsSources())];
  for (const file of sources) {
    const print = await fingerprint(file);
    if (print) inputs[file] = print;
  }
  const name = `step-host-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`;
  // Written under a temporary name and renamed: a concurrent run never sees half a file.
  const temporary = path.join(CACHE, `.${name}.${process.pid}`);
  await fs.writeFile(temporary, code);
  await fs.rename(temporary, path.join(CACHE, name));
  await fs.writeFile(`${MANIFEST}.${process.pid}`, JSON.stringify({ bundle: name, inputs } satisfies Manifest));
  await fs.rename(`${MANIFEST}.${process.pid}`, MANIFEST);
  await removeStaleBundles(name);
  return path.join(CACHE, name);
}

async function chartsSources(): Promise<string[]> {
  const entries = await fs.readdir(CHARTS_SOURCE_DIRECTORY, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

async function removeStaleBundles(current: string): Promise<void> {
  for (const name of await fs.readdir(CACHE)) {
    if (name === current || !name.startsWith('step-host-')) continue;
    const file = path.join(CACHE, name);
    const stat = await fs.stat(file).catch(() => null);
    if (stat && Date.now() - stat.mtimeMs > STALE_MS) await fs.rm(file, { force: true });
  }
}

let bundle: Promise<string> | undefined;

/** The bundle's path; built at most once per process, and only when the sources changed. */
export function stepHostBundle(): Promise<string> {
  bundle ??= cached().then((found) => found ?? build());
  bundle.catch(() => (bundle = undefined));
  return bundle;
}
