/** Lambda entry point of the scheduled monitor (functions/wiring/monitor.ts). */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logger } from '../wiring/lambda-deps.js';
import { monitor } from '../wiring/monitor.js';

export const handler = middy(async () => monitor()).use(injectLambdaContext(logger, { resetKeys: true }));
