/**
 * The error classes decide how an error is treated (functions/core/errors.ts). These tests hold
 * the classes and the names that leave the process together: the state machine's Retry and
 * Catch lists, the CLI's one-line messages, and the rule of one base class per area.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { isUserFacing, UsagePipelineError } from '../../functions/core/errors.js';
import { ConfigurationError } from '../../functions/config/errors.js';
import { PIPELINE_STEPS, type PipelineStep } from '../../functions/config/functions.js';
import { TransientStorageError } from '../../functions/adapters/errors.js';
import { buildPipelineDefinition, RETRYABLE_STEP_ERRORS } from '../../workflows/pipeline.js';
import { PROJECT_ROOT } from '../support/fixtures.js';

type ErrorClass = typeof UsagePipelineError;
interface Declared {
  readonly file: string;
  readonly exportName: string;
  readonly errorClass: ErrorClass;
}

const SOURCE_AREAS = ['functions', 'local', 'workflows', 'infra'];
/** Browser code of the charts page: bundled for the page, never thrown across a process. */
const BROWSER_CODE = 'functions/charts/app/';

function sourceFiles(): string[] {
  return SOURCE_AREAS.flatMap((directory) =>
    readdirSync(path.join(PROJECT_ROOT, directory), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
      .map((entry) => path.relative(PROJECT_ROOT, path.join(entry.parentPath, entry.name)).split(path.sep).join('/')),
  ).filter((file) => !file.startsWith(BROWSER_CODE));
}

const files = sourceFiles();
const text = (file: string): string => readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
let declared: Declared[] = [];

beforeAll(async () => {
  // Every module that declares an error class, loaded for real: the classes, not their spelling.
  const candidates = files.filter((file) => /\bclass \w+ extends \w*Error\b/.test(text(file)));
  for (const file of candidates) {
    const module = (await import(pathToFileURL(path.join(PROJECT_ROOT, file)).href)) as Record<string, unknown>;
    for (const [exportName, value] of Object.entries(module)) {
      if (typeof value === 'function' && value.prototype instanceof UsagePipelineError) declared.push({ file, exportName, errorClass: value as ErrorClass });
    }
  }
  declared = declared.filter((entry, index) => declared.findIndex((other) => other.errorClass === entry.errorClass) === index);
});

/** The chain of classes from the root down to this one, without the root. */
function lineage(errorClass: ErrorClass): ErrorClass[] {
  const chain: ErrorClass[] = [];
  for (let current = errorClass; current !== UsagePipelineError; current = Object.getPrototypeOf(current) as ErrorClass) chain.unshift(current);
  return chain;
}

describe('the error classes', () => {
  it('are found (the scan itself works)', () => {
    const names = declared.map((entry) => entry.errorClass.name);
    expect(names).toEqual(expect.arrayContaining(['TransientError', 'StorageError', 'StateFileError', 'LockHeldError', 'ConfigurationError', 'UserFacingError']));
  });

  it('all descend from the one root: no class extends Error directly', () => {
    const direct = files.filter((file) => file !== 'functions/core/errors.ts' && /\bclass \w+ extends Error\b/.test(text(file)));
    expect(direct).toEqual([]);
  });

  it('are named by their class, so a rename changes the name Step Functions and the CLI see', () => {
    for (const { exportName, errorClass } of declared) expect(errorClass.name).toBe(exportName);
    const declaring = [...new Set(declared.map((entry) => entry.file))].filter((file) => file !== 'functions/core/errors.ts');
    // Only the local runner's Lambda failures carry AWS's names (Sandbox.Timedout, Runtime.OutOfMemory).
    expect(declaring.filter((file) => /this\.name = |override name = /.test(text(file)))).toEqual(['local/runner/lambda-errors.ts']);
    expect(new TransientStorageError('x', { operation: 'GetObject', bucket: 'b', key: 'k', code: 'SlowDown' }).name).toBe('TransientStorageError');
  });

  it('have one base class per area (configuration errors are shared)', () => {
    const basesByArea = new Map<string, Set<string>>();
    for (const { file, errorClass } of declared) {
      const area = file.split('/').slice(0, file.startsWith('functions/') ? 2 : 1).join('/');
      const base = lineage(errorClass)[0]!;
      if (base === ConfigurationError) continue;
      basesByArea.set(area, (basesByArea.get(area) ?? new Set()).add(base.name));
    }
    const several = [...basesByArea].filter(([, bases]) => bases.size > 1).map(([area, bases]) => `${area}: ${[...bases].join(', ')}`);
    expect(several).toEqual([]);
  });

  it('say retryable and user-facing on the instance as the class does, and inherit it', () => {
    const error = new TransientStorageError('throttled', { operation: 'PutObject', bucket: 'b', key: 'k', code: 'SlowDown' });
    expect([error.retryable, error.userFacing, error instanceof UsagePipelineError]).toEqual([true, false, true]);
    const refused = new ConfigurationError('bad setting');
    expect([refused.retryable, isUserFacing(refused), isUserFacing(new Error('plain'))]).toEqual([false, true, false]);
  });
});

describe('the state machine names real classes', () => {
  const functions = Object.fromEntries(PIPELINE_STEPS.map((step) => [step, `arn:aws:lambda:us-west-2:123456789012:function:${step}`])) as Record<PipelineStep, string>;
  const definition = JSON.stringify(buildPipelineDefinition({ functions }));
  const matched = [...new Set([...definition.matchAll(/"ErrorEquals":\[([^\]]*)\]/g)].flatMap((match) => JSON.parse(`[${match[1]}]`) as string[]))];
  const ours = matched.filter((name) => !name.startsWith('Lambda.') && !name.startsWith('States.'));

  it('retries and catches only names of declared classes', () => {
    const known = new Set(declared.map((entry) => entry.errorClass.name));
    expect(ours.length).toBeGreaterThan(4);
    expect(ours.filter((name) => !known.has(name))).toEqual([]);
  });

  it('retries every retryable class, and only those', () => {
    const retryable = declared.filter((entry) => entry.errorClass.retryable).map((entry) => entry.errorClass.name).sort();
    expect(RETRYABLE_STEP_ERRORS.map((errorClass) => errorClass.name).sort()).toEqual(retryable);
    const retryLists = [...definition.matchAll(/"Retry":\[\{"ErrorEquals":\[([^\]]*)\]/g)].map((match) => JSON.parse(`[${match[1]}]`) as string[]);
    expect(retryLists.length).toBeGreaterThan(0);
    for (const list of retryLists) expect(list.filter((name) => !name.startsWith('Lambda.')).sort()).toEqual(retryable);
  });
});
