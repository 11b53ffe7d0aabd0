/**
 * Real public data lives outside the project (`../shared/fixtures`, or `USAGE_FIXTURES`).
 * Without it, fixture tests are reported as skipped with a loud warning; CI sets
 * `USAGE_REQUIRE_FIXTURES=1`, which turns absence into a failure.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from '@jest/globals';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = path.resolve(PROJECT_ROOT, process.env.USAGE_FIXTURES ?? '../shared/fixtures');
export const fixturesPresent = existsSync(path.join(FIXTURES, 'futel-2025-03', 'input')) && existsSync(path.join(FIXTURES, 'messages'));

export function fixture(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}

/** `describe` for tests that need the fixtures. */
export function describeWithFixtures(name: string, body: () => void): void {
  if (fixturesPresent) {
    describe(name, body);
    return;
  }
  if (process.env.USAGE_REQUIRE_FIXTURES === '1') {
    throw new Error(`fixtures not found at ${FIXTURES} (set USAGE_FIXTURES) and USAGE_REQUIRE_FIXTURES=1`);
  }
  process.stderr.write(`\n!!! FIXTURES MISSING: ${FIXTURES} not found; "${name}" is SKIPPED. Set USAGE_FIXTURES to run it.\n\n`);
  describe.skip(name, body);
}
