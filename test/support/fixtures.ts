/**
 * Real public data lives outside the project (`../shared/fixtures`, or `USAGE_FIXTURES`).
 * Without it, fixture tests are skipped with a loud notice (test/support/requirements.ts);
 * CI sets `USAGE_REQUIRE_ALL=1` (or `USAGE_REQUIRE_FIXTURES=1`), which turns absence into a failure.
 */
import path from 'node:path';
import { describeWith, FIXTURES } from './requirements.js';

export { FIXTURES, fixturesPresent, PROJECT_ROOT } from './requirements.js';

export function fixture(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}

/** `describe` for tests that need the fixtures. */
export function describeWithFixtures(name: string, body: () => void): void {
  describeWith(['fixtures'], name, body);
}
