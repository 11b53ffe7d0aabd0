/**
 * fauxqs (an SNS/SQS emulator) started in the jest process on 127.0.0.1.
 *
 * fauxqs 2 imports `node:sqlite` for its optional persistence, which Node 20 does not have;
 * without `dataDir` it never uses it, so on Node 20 the module is replaced by a stub that
 * fails loudly if it ever were used.
 */
import { builtinModules } from 'node:module';
import { jest } from '@jest/globals';
import type { FauxqsServer } from 'fauxqs';

export type { FauxqsServer };

export async function startFauxqsServer(): Promise<FauxqsServer> {
  if (!builtinModules.includes('sqlite')) {
    jest.unstable_mockModule(
      'node:sqlite',
      () => ({
        DatabaseSync: class {
          constructor() {
            throw new Error('node:sqlite is not available on this Node version (fauxqs persistence is not used in tests)');
          }
        },
      }),
      { virtual: true },
    );
  }
  const { startFauxqs } = await import('fauxqs');
  return startFauxqs({ port: 0, logger: false });
}

/** Environment for a child process talking to fauxqs: dummy credentials, no shared config. */
export function fakeAwsEnv(): NodeJS.ProcessEnv {
  return {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    // The SDK's once-per-process notice that 2027 releases will need Node 22.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}
