/** ESM throughout: ts-jest in ESM mode, run with --experimental-vm-modules (see package.json). */
import os from 'node:os';

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // fauxqs needs node:sqlite only for persistence we never use; Node 20 lacks the module.
    '^node:sqlite$': '<rootDir>/test/support/node-sqlite-stub.mjs',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  setupFiles: ['<rootDir>/test/support/setup-env.cjs'],
  // One temporary directory per run, removed at the end (test/support/global-temp.mjs).
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  // Suites skipped for a missing tool (Chromium, Terraform, moto, fixtures) are listed at the end.
  reporters: ['default', '<rootDir>/test/support/skip-notice-reporter.mjs'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 120000,
  // At least two workers, even on two cores (jest's default there is one): the deploy suite spends
  // most of its five minutes waiting on moto and Terraform, and overlapping it with the other
  // suites takes the whole run from about 11 to about 6.5 minutes on the development machine.
  maxWorkers: Math.max(2, os.availableParallelism() - 1),
};
