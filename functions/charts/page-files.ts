/**
 * Builds the charts page (`charts/` on the published site) in memory: esbuild bundles the
 * browser code with uPlot and its stylesheet, and the page links the bundle with a content
 * hash, so browsers pick up a new bundle as soon as it is published. The output depends only
 * on the sources: the same sources give the same bytes, and an unchanged page is never
 * republished.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHARTS_DIRECTORY } from '../core/site-paths.js';
import { renderIndexHtml } from './page.js';
import { ChartsError } from './errors.js';


const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The page's own sources (the browser code and its stylesheet). */
export const CHARTS_SOURCE_DIRECTORY = path.join(HERE, 'app');
const ENTRY = path.join(CHARTS_SOURCE_DIRECTORY, 'main.ts');
const PROJECT_ROOT = path.resolve(HERE, '..', '..');

/** Browsers from 2021 on. Not Safari 14: esbuild cannot work around its destructuring bugs. */
const TARGETS = ['chrome90', 'edge90', 'firefox90', 'safari15'];

export class ChartsBuildError extends ChartsError {
  constructor(message: string) {
    super(`charts page build failed: ${message}`);
  }
}

/** uPlot's licence comment is not a `/*!` one, so minifying would drop it; the MIT licence asks to keep it. */
async function uplotNotice(): Promise<string> {
  const manifestPath = createRequire(import.meta.url).resolve('uplot/package.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { version: string };
  return `/*! uPlot v${manifest.version} | (c) 2025 Leon Sorokin | MIT License | https://github.com/leeoniya/uPlot */`;
}

function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 12);
}

/**
 * The files of the charts page, keyed by path relative to the site root
 * (`charts/index.html`, `charts/app.js`, `charts/app.css`).
 */
export async function buildChartsFiles(): Promise<Map<string, Uint8Array>> {
  // Loaded here, not at the top: only publishing needs esbuild, and it is a native binary.
  const esbuild = await import('esbuild');
  let result: import('esbuild').BuildResult<{ write: false }>;
  try {
    result = await esbuild.build({
      absWorkingDir: PROJECT_ROOT,
      entryPoints: { app: ENTRY },
      outdir: CHARTS_DIRECTORY,
      write: false,
      bundle: true,
      minify: true,
      format: 'iife',
      platform: 'browser',
      target: TARGETS,
      charset: 'utf8',
      legalComments: 'eof',
      sourcemap: false,
      banner: { js: await uplotNotice() },
      logLevel: 'silent',
    });
  } catch (error) {
    const failure = error as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> };
    const detail = failure.errors?.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text)).join('; ');
    throw new ChartsBuildError(detail || (error as Error).message);
  }

  const files = new Map<string, Uint8Array>();
  for (const output of result.outputFiles) {
    const relative = path.relative(PROJECT_ROOT, output.path).split(path.sep).join('/');
    files.set(relative, output.contents);
  }
  const script = files.get(`${CHARTS_DIRECTORY}/app.js`);
  const stylesheet = files.get(`${CHARTS_DIRECTORY}/app.css`);
  if (!script || !stylesheet) throw new ChartsBuildError(`esbuild wrote ${[...files.keys()].join(', ')}, not app.js and app.css`);

  const html = renderIndexHtml({
    script: `app.js?v=${contentHash(script)}`,
    stylesheet: `app.css?v=${contentHash(stylesheet)}`,
  });
  // Sorted, so callers that iterate (publishing, tests) see the same order every time.
  const out = new Map<string, Uint8Array>([[`${CHARTS_DIRECTORY}/index.html`, new TextEncoder().encode(html)]]);
  for (const key of [...files.keys()].sort()) out.set(key, files.get(key) as Uint8Array);
  return out;
}
