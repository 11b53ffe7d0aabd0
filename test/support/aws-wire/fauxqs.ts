/**
 * fauxqs (an SNS/SQS emulator) started in the jest process on 127.0.0.1, loaded as the local
 * world loads it (local/emulators/local-aws.ts; under jest, `node:sqlite` is mapped to a stub
 * by jest.config.js on Node 20).
 */
import type { FauxqsServer } from 'fauxqs';
import { loadFauxqs } from '../../../local/emulators/local-aws.js';

export type { FauxqsServer };

export async function startFauxqsServer(): Promise<FauxqsServer> {
  const { startFauxqs } = await loadFauxqs();
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
