/**
 * A jest reporter that ends the summary with the suites skipped for a missing tool
 * (test/support/requirements.ts), what is missing and how to get it — so a skip is never
 * taken for a pass. Suites leave their notices as JSON files in a directory this reporter
 * makes before any test runs and names in USAGE_SKIP_NOTICES_DIR (test workers inherit it).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const VARIABLE = 'USAGE_SKIP_NOTICES_DIR';

/** The notice printed under jest's summary, or '' when nothing was skipped. */
export function formatSkipNotices(notices, { color = false } = {}) {
  if (notices.length === 0) return '';
  const paint = (code, text) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const bySuite = [...notices].sort((a, b) => a.testPath.localeCompare(b.testPath) || a.suite.localeCompare(b.suite));
  const lines = [
    '',
    paint('1;33', `!!! ${notices.length} test suite${notices.length === 1 ? ' was' : 's were'} SKIPPED: what they need is missing on this machine.`),
    paint('33', '!!! Their tests did not run; USAGE_REQUIRE_ALL=1 makes this a failure (CI sets it).'),
  ];
  for (const notice of bySuite) {
    lines.push(paint('1', `  ${notice.testPath}: ${notice.suite}`));
    for (const missing of notice.missing) {
      lines.push(`    missing ${missing.tool}: ${missing.problem}`);
      lines.push(`    to get it: ${missing.howToGet}`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

export function readSkipNotices(directory) {
  let files;
  try {
    files = readdirSync(directory).filter((file) => file.endsWith('.json'));
  } catch {
    return [];
  }
  return files.map((file) => JSON.parse(readFileSync(path.join(directory, file), 'utf8')));
}

export default class SkipNoticeReporter {
  constructor() {
    this.directory = mkdtempSync(path.join(os.tmpdir(), 'usage-pipeline-skips-'));
    process.env[VARIABLE] = this.directory;
    process.once('exit', () => rmSync(this.directory, { recursive: true, force: true }));
  }

  onRunComplete() {
    const notices = readSkipNotices(this.directory);
    // Each run (in watch mode, each re-run) reports only its own skips.
    for (const file of readdirSync(this.directory)) rmSync(path.join(this.directory, file), { force: true });
    const text = formatSkipNotices(notices, { color: process.stderr.isTTY === true });
    if (text) process.stderr.write(`${text}\n`);
  }

  getLastError() {
    return undefined;
  }
}
