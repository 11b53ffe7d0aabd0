/** The Lambda context a local invocation gets: what the runtime would pass, with the function's own name, ARN, memory and deadline. */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface InvocationTarget {
  readonly functionName: string;
  readonly functionArn: string;
  readonly memoryMb: number;
  readonly timeoutMs: number;
}

/** The ARN a local function is known by (an account of zeros, as the emulators use). */
export function localFunctionArn(functionName: string): string {
  return `arn:aws:lambda:us-west-2:000000000000:function:${functionName}`;
}

export function lambdaContext(target: InvocationTarget): Context {
  const deadline = Date.now() + target.timeoutMs;
  return {
    functionName: target.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: target.functionArn,
    memoryLimitInMB: String(target.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${target.functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
