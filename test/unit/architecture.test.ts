/**
 * The code map (README, "Code map") as a test: every import between the project's folders must
 * go the way the map allows. A new import against it fails here, naming the file and the import.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { PROJECT_ROOT } from '../support/fixtures.js';

/** Each area of the code, and the areas it may import (besides itself). */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  'functions/support': [],
  'functions/core': [],
  'functions/config': ['functions/core'],
  'functions/pipeline': ['functions/core', 'functions/config'],
  'functions/rotation': ['functions/core', 'functions/config'],
  'functions/rerun': ['functions/core'],
  'functions/charts': ['functions/core'],
  'functions/monitor': ['functions/core', 'functions/config', 'functions/pipeline'],
  // The adapters' error classes, apart from the SDK clients so the state machine can name the retryable ones.
  'functions/adapters/errors.ts': ['functions/core'],
  'functions/adapters': ['functions/core', 'functions/config', 'functions/pipeline', 'functions/monitor', 'functions/rotation'],
  'functions/generator': ['functions/core', 'functions/adapters', 'functions/support'],
  // The composition root: builds the adapters each Lambda needs from its runtime configuration.
  'functions/wiring': ['functions/core', 'functions/config', 'functions/pipeline', 'functions/monitor', 'functions/rotation', 'functions/charts', 'functions/adapters'],
  // Entry points only: middy over the pipeline's functions, with what wiring/ builds.
  'functions/handlers': ['functions/core', 'functions/config', 'functions/pipeline', 'functions/wiring'],
  workflows: ['functions/core', 'functions/config', 'functions/pipeline', 'functions/adapters/errors.ts'],
  'functions/cli': [
    'functions/core',
    'functions/config',
    'functions/pipeline',
    'functions/monitor',
    'functions/rotation',
    'functions/rerun',
    'functions/charts',
    'functions/adapters',
    'functions/generator',
    'functions/handlers',
    'functions/wiring',
    'functions/support',
    'workflows',
    'local',
  ],
  local: [
    'functions/core',
    'functions/config',
    'functions/pipeline',
    'functions/monitor',
    'functions/charts',
    'functions/adapters',
    'functions/handlers',
    'functions/support',
    'workflows',
  ],
  infra: ['functions/core', 'functions/config', 'functions/pipeline', 'functions/charts', 'workflows'],
  // The executable: the command's entry module, from its bundle (support/) or through tsx.
  bin: ['functions/cli', 'functions/support'],
};

const AREAS = Object.keys(MAY_IMPORT).sort((a, b) => b.length - a.length);

function areaOf(file: string): string | null {
  return AREAS.find((area) => file === area || file.startsWith(`${area}/`)) ?? null;
}

/** An area may import what the map lists, and anything inside those areas or its own (a file listed on its own is part of its folder). */
function mayImport(from: string, to: string): boolean {
  return [from, ...(MAY_IMPORT[from] ?? [])].some((area) => to === area || to.startsWith(`${area}/`));
}

function sourceFiles(directory: string): string[] {
  return readdirSync(path.join(PROJECT_ROOT, directory), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|mts|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.relative(PROJECT_ROOT, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
}

/** Relative module specifiers of a file: static imports and re-exports, `import()`, `new URL('./x', import.meta.url)`. */
function relativeImports(file: string): string[] {
  const text = readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+|new URL\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) found.push(match[1] as string);
  return found;
}

const files = ['functions', 'local', 'workflows', 'infra', 'bin'].flatMap(sourceFiles);

describe('the code map', () => {
  it('places every source file in an area', () => {
    expect(files.filter((file) => areaOf(file) === null)).toEqual([]);
  });

  it('has every import point the way the map allows', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = areaOf(file) as string;
      for (const specifier of relativeImports(file)) {
        // Specifiers name the emitted .js file; the source is the .ts beside it.
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)).replace(/\.js$/, '.ts');
        const to = areaOf(target);
        if (to === null || to === from) continue;
        if (!mayImport(from, to)) violations.push(`${file} imports ${specifier} (${from} may not import ${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps the Lambda handlers free of the local world and of the command line', () => {
    expect(MAY_IMPORT['functions/handlers']).not.toContain('local');
    expect(MAY_IMPORT['functions/handlers']).not.toContain('functions/cli');
  });

  it('catches an import against the map', () => {
    // The check itself: a core module importing an adapter is named.
    const from = areaOf('functions/core/x.ts') as string;
    const to = areaOf(path.posix.normalize('functions/core/../adapters/s3-object-store.ts'));
    expect([from, to, mayImport(from, to as string)]).toEqual(['functions/core', 'functions/adapters', false]);
    // And the state machine may name the adapters' errors, but not reach an SDK client.
    expect(mayImport('workflows', areaOf('functions/adapters/errors.ts') as string)).toBe(true);
    expect(mayImport('workflows', areaOf('functions/adapters/s3-object-store.ts') as string)).toBe(false);
  });
});
