/**
 * Bundles each Lambda entry with esbuild at synth time: one self-contained ESM file per
 * function (`index.mjs`), AWS SDK included — the versions in package-lock.json are the ones
 * tested, so the runtime's own SDK copy is not relied on.
 *
 * The charts page is built here, once, and baked into the bundles: `buildChartsFiles()` needs
 * esbuild, which Lambda does not have, so the plugin below swaps functions/charts/prebuilt.ts
 * for a module holding the built files.
 */
import { createHash } from 'node:crypto';
import { readFile, rm, utimes } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildChartsFiles } from '../functions/charts/page-files.js';
import { ESM_REQUIRE_BANNER, FUNCTION_BUNDLE_OPTIONS, prebuiltChartsPlugin, prebuiltChartsSource } from '../functions/charts/prebuilt-bundling.js';

export { ESM_REQUIRE_BANNER };
import { entryOf, type FunctionSpec } from '../functions/config/functions.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLE_FILE = 'index.mjs';

/**
 * Zip entries carry the file's modification time. A fixed one makes the archive (and so the
 * function's code hash) depend only on the bytes, so an unchanged function is not redeployed.
 */
const FIXED_MTIME = new Date('2020-01-01T00:00:00Z');

export interface LambdaBundle {
  readonly name: string;
  /** Directory holding `index.mjs`: the TerraformAsset source. */
  readonly directory: string;
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface BundleOptions {
  /** Where the bundles go (`<outDir>/<function>/index.mjs`). */
  readonly outDir: string;
  /** Defaults to building the charts page now; tests may pass files. */
  readonly chartsFiles?: () => Promise<Map<string, Uint8Array>>;
  readonly minify?: boolean;
}

const CHARTS_BUILDER = 'functions/charts/page-files.ts';
const CHARTS_MODULE = 'functions/charts/prebuilt.ts';

/**
 * Bundles every function in one esbuild run (modules shared by the entries are parsed once;
 * without code splitting each output is still self-contained). The charts page is built once.
 */
export async function bundleFunctions(specs: readonly FunctionSpec[], options: BundleOptions): Promise<Map<string, LambdaBundle>> {
  const esbuild = await import('esbuild');
  let chartsSource: Promise<string> | undefined;
  const source = () => (chartsSource ??= (options.chartsFiles ?? buildChartsFiles)().then(prebuiltChartsSource));

  for (const spec of specs) await rm(path.join(options.outDir, spec.name), { recursive: true, force: true });
  const entryPoints = Object.fromEntries(specs.map((spec) => [`${spec.name}/index`, path.join(PROJECT_ROOT, entryOf(spec))]));
  let result: import('esbuild').BuildResult<{ metafile: true }>;
  try {
    result = await esbuild.build({
      absWorkingDir: PROJECT_ROOT,
      entryPoints,
      outdir: options.outDir,
      outExtension: { '.js': '.mjs' },
      ...FUNCTION_BUNDLE_OPTIONS,
      splitting: false,
      target: 'node22',
      // Nothing is external: every dependency, the AWS SDK included, is pinned by the lock file.
      external: [],
      minify: options.minify ?? true,
      sourcemap: false,
      legalComments: 'eof',
      charset: 'utf8',
      metafile: true,
      logLevel: 'silent',
      plugins: [prebuiltChartsPlugin(source)],
    });
  } catch (error) {
    const failure = error as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> };
    const detail = failure.errors?.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text)).join('; ');
    throw new Error(`bundling the Lambda functions failed: ${detail || String(error)}`);
  }

  const bundles: LambdaBundle[] = [];
  for (const spec of specs) {
    const directory = path.join(options.outDir, spec.name);
    const file = path.join(directory, BUNDLE_FILE);
    const output = result.metafile.outputs[path.relative(PROJECT_ROOT, file).split(path.sep).join('/')];
    // Every pipeline step imports functions/wiring/lambda-deps.ts, which imports the charts module: a bundle that
    // holds the charts builder would be carrying esbuild, which Lambda does not have.
    if (output && CHARTS_BUILDER in output.inputs) throw new Error(`bundling ${entryOf(spec)}: ${CHARTS_BUILDER} (and esbuild) would be bundled; is ${CHARTS_MODULE} still the module the handlers import?`);
    await utimes(file, FIXED_MTIME, FIXED_MTIME);
    const bytes = await readFile(file);
    bundles.push({ name: spec.name, directory, file, bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  return new Map(bundles.map((bundle) => [bundle.name, bundle]));
}
