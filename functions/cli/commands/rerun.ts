/** `usage-pipeline rerun`: starts the pipeline's state machine for one day, and optionally waits. */
import { Command, Option } from 'commander';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { awsErrorCode, awsErrorMessage } from '../../adapters/aws-error.js';
import {
  checkRerunDay,
  executionName,
  stateMachineRegion,
  waitForExecution,
  WaitTimeoutError,
  type ExecutionDescription,
} from '../../rerun/rerun.js';
import { UserFacingError } from '../errors.js';

interface RerunFlags {
  day: string;
  stateMachineArn?: string;
  wait?: boolean;
  waitTimeout: string;
  pollInterval: string;
  region?: string;
  endpoint?: string;
  json?: boolean;
}

export interface RerunResult {
  day: string;
  name: string;
  stateMachineArn: string;
  executionArn: string;
  startDate?: string;
  status?: string;
  stopDate?: string;
  /** The execution's output, parsed when it is JSON. */
  output?: unknown;
  error?: string;
  cause?: string;
}

export function rerunCommand(): Command {
  return new Command('rerun')
    .description("start the pipeline's state machine again for one day (input {\"day\": \"YYYY-MM-DD\"})")
    .requiredOption('--day <YYYY-MM-DD>', 'the day to re-run (not in the future, UTC)')
    .option('--state-machine-arn <arn>', 'the state machine (default: $STATE_MACHINE_ARN)')
    .option('--wait', 'wait for the execution to finish and print its outcome (exit status 1 unless it SUCCEEDED)')
    .option('--wait-timeout <seconds>', 'with --wait: stop waiting after this long (the execution keeps running)', '900')
    .addOption(new Option('--poll-interval <ms>', 'first delay between DescribeExecution calls (doubles, up to 15 s)').default('1000').hideHelp())
    .option('--region <region>', 'AWS region (default: the one in the state machine ARN)')
    .option('--endpoint <url>', 'Step Functions endpoint override (a local emulator)')
    .option('--json', 'print the result as one JSON object')
    .action(async (flags: RerunFlags) => {
      // Everything the user can get wrong is checked before the SDK is even configured.
      const now = new Date();
      const day = checkRerunDay(flags.day, now);
      const arn = flags.stateMachineArn ?? process.env.STATE_MACHINE_ARN;
      if (!arn) throw new UserFacingError('no state machine: pass --state-machine-arn or set STATE_MACHINE_ARN');
      const arnRegion = stateMachineRegion(arn);
      const waitTimeout = Number(flags.waitTimeout);
      if (!Number.isFinite(waitTimeout) || waitTimeout <= 0) throw new UserFacingError('--wait-timeout must be a positive number of seconds');
      const pollInterval = Number(flags.pollInterval);
      if (!Number.isFinite(pollInterval) || pollInterval < 1) throw new UserFacingError('--poll-interval must be a positive number of milliseconds');
      const name = executionName(day, now);

      const client = new SFNClient({ region: flags.region ?? arnRegion, ...(flags.endpoint ? { endpoint: flags.endpoint } : {}) });
      try {
        const started = await client
          .send(new StartExecutionCommand({ stateMachineArn: arn, name, input: JSON.stringify({ day }) }))
          .catch((error: unknown) => {
            throw startError(error, arn, name);
          });
        const result: RerunResult = {
          day,
          name,
          stateMachineArn: arn,
          executionArn: started.executionArn!,
          ...(started.startDate ? { startDate: started.startDate.toISOString() } : {}),
        };
        if (!flags.wait) {
          process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : `started ${name} for ${day}\n${result.executionArn}\n`);
          return;
        }
        if (!flags.json) process.stderr.write(`started ${name}; waiting for it to finish…\n`);
        let outcome: ExecutionDescription;
        try {
          outcome = await waitForExecution(
            async () => {
              const d = await client.send(new DescribeExecutionCommand({ executionArn: result.executionArn }));
              return {
                status: d.status ?? 'UNKNOWN',
                ...(d.startDate ? { startDate: d.startDate } : {}),
                ...(d.stopDate ? { stopDate: d.stopDate } : {}),
                ...(d.output !== undefined ? { output: d.output } : {}),
                ...(d.error !== undefined ? { error: d.error } : {}),
                ...(d.cause !== undefined ? { cause: d.cause } : {}),
              };
            },
            { initialDelayMs: pollInterval, timeoutMs: waitTimeout * 1000 },
          );
        } catch (error) {
          if (error instanceof WaitTimeoutError) {
            if (flags.json) process.stdout.write(`${JSON.stringify({ ...result, status: error.last.status })}\n`);
            throw new UserFacingError(`${name} is ${error.message}: ${result.executionArn}`);
          }
          throw new UserFacingError(`started ${name}, then could not follow it: ${awsErrorMessage(error)}`);
        }
        Object.assign(result, outcomeFields(outcome));
        process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : describeOutcome(result, outcome));
        if (outcome.status !== 'SUCCEEDED') process.exitCode = 1;
      } finally {
        client.destroy();
      }
    });
}

function startError(error: unknown, arn: string, name: string): UserFacingError {
  switch (awsErrorCode(error)) {
    case 'ExecutionAlreadyExists':
      return new UserFacingError(`an execution named ${name} already exists (started in the same second, or finished); run the command again`);
    case 'StateMachineDoesNotExist':
      return new UserFacingError(`no state machine ${arn}`);
    default:
      return new UserFacingError(`could not start the execution: ${awsErrorMessage(error)}`);
  }
}

function outcomeFields(outcome: ExecutionDescription): Partial<RerunResult> {
  return {
    status: outcome.status,
    ...(outcome.stopDate ? { stopDate: outcome.stopDate.toISOString() } : {}),
    ...(outcome.output !== undefined ? { output: parseOutput(outcome.output) } : {}),
    ...(outcome.error !== undefined ? { error: outcome.error } : {}),
    ...(outcome.cause !== undefined ? { cause: outcome.cause } : {}),
  };
}

function parseOutput(output: string): unknown {
  try {
    return JSON.parse(output);
  } catch {
    return output;
  }
}

function describeOutcome(result: RerunResult, outcome: ExecutionDescription): string {
  const seconds = outcome.startDate && outcome.stopDate ? ` in ${((outcome.stopDate.getTime() - outcome.startDate.getTime()) / 1000).toFixed(1)} s` : '';
  const lines = [`${result.name}: ${outcome.status}${seconds}`, result.executionArn];
  if (outcome.status === 'SUCCEEDED') {
    if (outcome.output !== undefined) lines.push(`output: ${outcome.output}`);
  } else {
    lines.push(`error: ${outcome.error ?? '(none)'}`);
    if (outcome.cause !== undefined) lines.push(`cause: ${outcome.cause}`);
  }
  return `${lines.join('\n')}\n`;
}
