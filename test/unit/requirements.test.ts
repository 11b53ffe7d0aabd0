/**
 * The gate in front of suites that need more than Node and git: a missing tool skips the suite
 * with a notice saying how to get it, and USAGE_REQUIRE_ALL=1 makes that a failure instead.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { availability, gate, REQUIRE_ALL_VARIABLE } from '../support/requirements.js';
import { formatSkipNotices, readSkipNotices } from '../support/skip-notice-reporter.mjs';
import { findChromium, motoPython } from '../support/tools.js';

/** A PATH holding only these executables (shell scripts that exit 0). */
function pathWith(...names: string[]): string {
  const bin = mkdtempSync(path.join(os.tmpdir(), 'usage-pipeline-path-'));
  for (const name of names) writeFileSync(path.join(bin, name), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return bin;
}

describe('tool requirements', () => {
  it('skip a suite whose tool is missing, saying what is missing and how to get it', () => {
    const env = { PATH: pathWith() };
    expect(gate(['terraform', 'chromium'], env)).toEqual({
      run: false,
      fail: false,
      missing: [
        { tool: 'terraform', problem: 'terraform is not on PATH', howToGet: expect.stringContaining('https://developer.hashicorp.com/terraform/install') },
        { tool: 'chromium', problem: 'none of chromium, chromium-browser, google-chrome-stable, google-chrome on PATH', howToGet: expect.stringContaining('apt-get install chromium') },
      ],
    });
  });

  it('fail it instead under USAGE_REQUIRE_ALL=1', () => {
    expect(gate(['chromium'], { PATH: pathWith(), [REQUIRE_ALL_VARIABLE]: '1' })).toMatchObject({ run: false, fail: true });
    // USAGE_REQUIRE_FIXTURES=1 concerns the fixtures alone.
    expect(gate(['chromium'], { PATH: pathWith(), USAGE_REQUIRE_FIXTURES: '1' })).toMatchObject({ run: false, fail: false });
  });

  it('find Chromium through CHROMIUM_PATH or PATH, never a fixed path', () => {
    const bin = pathWith('chromium-browser');
    expect(findChromium({ PATH: bin })).toBe(path.join(bin, 'chromium-browser'));
    expect(findChromium({ PATH: bin, CHROMIUM_PATH: '/nonexistent/chrome' })).toBeUndefined();
    expect(availability('chromium', { PATH: bin, CHROMIUM_PATH: '/nonexistent/chrome' })).toMatchObject({ available: false, problem: 'CHROMIUM_PATH=/nonexistent/chrome does not exist' });
    expect(availability('chromium', { PATH: bin })).toEqual({ tool: 'chromium', available: true, found: path.join(bin, 'chromium-browser') });
  });

  it('run moto with MOTO_PYTHON, else the Python moto_server was installed for, else python3', () => {
    expect(motoPython({ MOTO_PYTHON: 'venv/bin/python', PATH: pathWith() })).toBe('venv/bin/python');
    const bin = pathWith('python3.11');
    writeFileSync(path.join(bin, 'moto_server'), `#!${path.join(bin, 'python3.11')}\nimport moto.server\n`, { mode: 0o755 });
    expect(motoPython({ PATH: bin })).toBe(path.join(bin, 'python3.11'));
    // A launcher script (pyenv's shims are shell scripts) says nothing about the interpreter.
    writeFileSync(path.join(bin, 'moto_server'), '#!/usr/bin/env bash\nexec python "$@"\n', { mode: 0o755 });
    expect(motoPython({ PATH: bin })).toBe('python3');
    expect(availability('moto', { PATH: pathWith(), MOTO_PYTHON: '/nonexistent/python3' })).toMatchObject({ available: false, problem: '/nonexistent/python3 cannot import moto with its server (moto[server])' });
  });

  it('end the summary with every skipped suite, and print nothing when none was', () => {
    const directory = mkdtempSync(path.join(os.tmpdir(), 'usage-pipeline-notices-'));
    const notice = { suite: 'charts page', testPath: 'test/charts/charts-page.test.ts', missing: [{ tool: 'chromium' as const, problem: 'not on PATH', howToGet: 'apt-get install chromium' }] };
    writeFileSync(path.join(directory, '1.json'), JSON.stringify(notice));
    expect(readSkipNotices(directory)).toEqual([notice]);
    expect(formatSkipNotices([notice]).split('\n')).toEqual([
      '',
      '!!! 1 test suite was SKIPPED: what they need is missing on this machine.',
      '!!! Their tests did not run; USAGE_REQUIRE_ALL=1 makes this a failure (CI sets it).',
      '  test/charts/charts-page.test.ts: charts page',
      '    missing chromium: not on PATH',
      '    to get it: apt-get install chromium',
      '',
    ]);
    expect(formatSkipNotices([])).toBe('');
  });
});
