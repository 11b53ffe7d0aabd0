/**
 * `usage-pipeline rerun` against a wire-level Step Functions fake, plus the pure parts (day
 * checks, execution names, waiting) on their own.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { checkRerunDay, executionName, RerunInputError, waitForExecution, WaitTimeoutError, type ExecutionDescription } from '../../functions/rerun/rerun.js';
import { runCleanCli, type CleanRun } from '../support/aws-wire/cli.js';
import { runInProcess } from '../support/aws-wire/in-process.js';
import { fakeAwsEnv } from '../support/aws-wire/fauxqs.js';
import { executionArn, StepFunctionsFake } from '../support/aws-wire/step-functions.js';

const ARN = 'arn:aws:states:us-west-2:123456789012:stateMachine:usage-pipeline';
/** Days differ between runs: two starts for one day within a second would share a name. */
const namePattern = (day: string) => new RegExp(`^rerun-${day}-\\d{8}T\\d{6}Z$`);

let fake: StepFunctionsFake;

beforeAll(async () => {
  fake = await StepFunctionsFake.start([ARN]);
});

afterAll(async () => {
  await fake?.close();
});

beforeEach(() => {
  fake.calls.length = 0;
  fake.outcome = () => ({ status: 'SUCCEEDED', output: '{}' });
});

/** The real binary, for the end-to-end runs. */
const rerunBinary = (args: readonly string[]) =>
  runCleanCli(['rerun', '--endpoint', fake.url, '--poll-interval', '5', ...args], { env: { ...fakeAwsEnv(), AWS_REGION: 'eu-north-1' } });
/** The same `main`, in this process: most runs, to keep the file fast. */
const rerun = (args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
  runInProcess(['rerun', '--endpoint', fake.url, '--poll-interval', '5', ...args], { ...fakeAwsEnv(), AWS_REGION: 'eu-north-1', ...env });

const utcDay = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

describe('checks made before any AWS call', () => {
  it('refuses a bad day with a one-line error and exit 1, with no AWS configuration at all', async () => {
    const cases: [string, string][] = [
      ['2025-02-30', '--day: 2025-02-30 is not a real calendar date'],
      ['2025-13-01', '--day: 2025-13-01 is not a real calendar date'],
      ['2025/03/01', '--day: "2025/03/01" is not a day (expected YYYY-MM-DD)'],
      ['yesterday', '--day: "yesterday" is not a day (expected YYYY-MM-DD)'],
      ['2025-3-1', '--day: "2025-3-1" is not a day (expected YYYY-MM-DD)'],
      [utcDay(2), `--day: ${utcDay(2)} is in the future (today is`],
    ];
    // Two through the binary with nothing but PATH and HOME, the rest through `main` with the
    // same scrubbed environment.
    const args = (day: string) => ['rerun', '--day', day, '--state-machine-arn', ARN, '--endpoint', fake.url];
    const binaries = Promise.all([runCleanCli(args(cases[0]![0])), runCleanCli(args(cases[cases.length - 1]![0]))]);
    const inProcess: CleanRun[] = [];
    for (const [day] of cases.slice(1, -1)) inProcess.push(await runInProcess(args(day)));
    const [first, last] = await binaries;
    const runs = [first!, ...inProcess, last!];
    runs.forEach((run, i) => {
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`^usage-pipeline: ${escape(cases[i]![1])}.*\\n$`));
      expect(run.stdout).toBe('');
    });
    expect(fake.calls).toEqual([]);
  });

  it('needs a state machine ARN, from the flag or STATE_MACHINE_ARN, and checks its form', async () => {
    const missing = await runInProcess(['rerun', '--day', '2025-03-01']);
    const bad = await runInProcess(['rerun', '--day', '2025-03-01'], { STATE_MACHINE_ARN: 'arn:aws:lambda:us-west-2:123456789012:function:x' });
    expect(missing).toMatchObject({ code: 1, stderr: 'usage-pipeline: no state machine: pass --state-machine-arn or set STATE_MACHINE_ARN\n' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('usage-pipeline: "arn:aws:lambda:us-west-2:123456789012:function:x" is not a Step Functions state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)\n');
    expect(fake.calls).toEqual([]);
  });
});

describe('starting an execution', () => {
  it('sends StartExecution with the ARN, a name from the day and time, and {"day": …}; signed for the ARN\'s region', async () => {
    const before = new Date();
    const run = await rerunBinary(['--day', '2025-03-01', '--state-machine-arn', ARN]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(fake.calls).toHaveLength(1);
    const call = fake.calls[0]!;
    expect(call).toMatchObject({ target: 'AWSStepFunctions.StartExecution', contentType: 'application/x-amz-json-1.0', region: 'us-west-2', service: 'states', accessKeyId: 'test', status: 200 });
    expect(Object.keys(call.body).sort()).toEqual(['input', 'name', 'stateMachineArn']);
    expect(call.body.stateMachineArn).toBe(ARN);
    expect(call.body.input).toBe('{"day":"2025-03-01"}');
    const name = call.body.name as string;
    expect(name).toMatch(namePattern('2025-03-01'));
    const stamp = name.slice('rerun-2025-03-01-'.length);
    const when = Date.parse(`${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13)}`);
    expect(when).toBeGreaterThanOrEqual(Math.floor(before.getTime() / 1000) * 1000);
    expect(when).toBeLessThanOrEqual(Date.now());
    expect(run.stdout).toBe(`started ${name} for 2025-03-01\n${executionArn(ARN, name)}\n`);
  });

  it('takes the ARN from STATE_MACHINE_ARN, accepts YYYYMMDD and prints JSON', async () => {
    const run = await rerun(['--day', '20250304', '--json'], { STATE_MACHINE_ARN: ARN });
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toEqual({
      day: '2025-03-04',
      name: expect.stringMatching(namePattern('2025-03-04')),
      stateMachineArn: ARN,
      executionArn: executionArn(ARN, result.name),
      startDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(fake.calls[0]!.body.input).toBe('{"day":"2025-03-04"}');
  });

  it('accepts today (UTC)', async () => {
    const run = await rerun(['--day', utcDay(0), '--state-machine-arn', ARN]);
    expect(run.code).toBe(0);
  });

  it('reports ExecutionAlreadyExists as a one-line error', async () => {
    const remove = fake.beforeStart(({ stateMachineArn, name, input }) => {
      if (!fake.executions.has(executionArn(stateMachineArn, name))) fake.addExecution({ stateMachineArn, name, input, status: 'SUCCEEDED' });
    });
    try {
      const run = await rerun(['--day', '2025-03-02', '--state-machine-arn', ARN]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^usage-pipeline: an execution named rerun-2025-03-02-\d{8}T\d{6}Z already exists \(started in the same second, or finished\); run the command again\n$/);
      expect(fake.calls.map((c) => c.status)).toEqual([400]);
    } finally {
      remove();
    }
  });

  it('treats a start repeated while the same execution runs as that execution (the service is idempotent)', async () => {
    let running: string | undefined;
    const remove = fake.beforeStart(({ stateMachineArn, name, input }) => {
      running = executionArn(stateMachineArn, name);
      if (!fake.executions.has(running)) fake.addExecution({ stateMachineArn, name, input, status: 'RUNNING', startDate: new Date('2025-03-02T00:00:00Z') });
    });
    try {
      const run = await rerun(['--day', '2025-03-03', '--state-machine-arn', ARN, '--json']);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ executionArn: running, startDate: '2025-03-02T00:00:00.000Z' });
    } finally {
      remove();
    }
  });

  it('reports a state machine that does not exist', async () => {
    const other = 'arn:aws:states:us-west-2:123456789012:stateMachine:nope';
    const run = await rerun(['--day', '2025-03-11', '--state-machine-arn', other]);
    expect(run).toMatchObject({ code: 1, stdout: '', stderr: `usage-pipeline: no state machine ${other}\n` });
  });

  it('reports missing credentials in one line', async () => {
    const run = await runCleanCli(['rerun', '--day', '2025-03-01', '--state-machine-arn', ARN, '--endpoint', fake.url], {
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_EC2_METADATA_DISABLED: 'true' },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^usage-pipeline: could not start the execution: no AWS credentials: .*\n$/);
    expect(fake.calls).toEqual([]);
  });
});

describe('--wait', () => {
  it('polls until SUCCEEDED and prints the output', async () => {
    fake.outcome = (input) => ({ status: 'SUCCEEDED', output: JSON.stringify({ rerun: JSON.parse(input).day, filesPublished: 3 }), runningPolls: 2 });
    const run = await rerunBinary(['--day', '2025-03-05', '--state-machine-arn', ARN, '--wait']);
    expect(run.code).toBe(0);
    expect(fake.calls.map((c) => c.target.split('.')[1])).toEqual(['StartExecution', 'DescribeExecution', 'DescribeExecution', 'DescribeExecution']);
    expect(new Set(fake.calls.slice(1).map((c) => c.body.executionArn))).toEqual(new Set([executionArn(ARN, fake.calls[0]!.body.name as string)]));
    const [headline, arn, output] = run.stdout.trim().split('\n');
    expect(headline).toMatch(/^rerun-2025-03-05-\d{8}T\d{6}Z: SUCCEEDED in 4\.3 s$/);
    expect(arn).toBe(executionArn(ARN, fake.calls[0]!.body.name as string));
    expect(output).toBe('output: {"rerun":"2025-03-05","filesPublished":3}');
    expect(run.stderr).toMatch(/^started rerun-2025-03-05-\S+; waiting for it to finish…\n$/);
  });

  it('prints SUCCEEDED output as JSON with --json', async () => {
    fake.outcome = () => ({ status: 'SUCCEEDED', output: '{"commit":"abc123"}' });
    const run = await rerun(['--day', '2025-03-06', '--state-machine-arn', ARN, '--wait', '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ day: '2025-03-06', status: 'SUCCEEDED', output: { commit: 'abc123' }, stopDate: expect.any(String) });
  });

  it.each([
    ['FAILED', '2025-03-07', 'States.TaskFailed', 'publish: 409 conflict on refs/heads/gh-pages'],
    ['TIMED_OUT', '2025-03-08', 'States.Timeout', undefined],
    ['ABORTED', '2025-03-09', undefined, undefined],
  ] as const)('prints %s with its error and cause, and exits 1', async (status, day, error, cause) => {
    fake.outcome = () => ({ status, ...(error ? { error } : {}), ...(cause ? { cause } : {}), runningPolls: 1 });
    const run = await rerun(['--day', day, '--state-machine-arn', ARN, '--wait']);
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`: ${status} in 4\\.3 s$`));
    expect(lines.slice(2)).toEqual([`error: ${error ?? '(none)'}`, ...(cause ? [`cause: ${cause}`] : [])]);
  });

  it('gives up after --wait-timeout, saying the execution keeps running', async () => {
    fake.outcome = () => ({ status: 'SUCCEEDED', runningPolls: Infinity });
    const run = await rerun(['--day', '2025-03-10', '--state-machine-arn', ARN, '--wait', '--wait-timeout', '0.2', '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'RUNNING' });
    expect(run.stderr).toMatch(/^usage-pipeline: rerun-2025-03-10-\S+ is still RUNNING after 0 s; it keeps running: arn:aws:states:us-west-2:123456789012:execution:usage-pipeline:rerun-\S+\n$/);
    const polls = fake.calls.filter((c) => c.target.endsWith('DescribeExecution')).length;
    expect(polls).toBeGreaterThanOrEqual(2);
    expect(polls).toBeLessThan(12);
  });
});

describe('the pure parts', () => {
  const now = new Date('2025-11-23T10:30:00.789Z');

  it('checkRerunDay: real dates up to today in UTC', () => {
    expect(checkRerunDay('2025-11-23', now)).toBe('2025-11-23');
    expect(checkRerunDay(' 20240229 ', now)).toBe('2024-02-29');
    expect(() => checkRerunDay('2025-11-24', now)).toThrow(new RerunInputError('--day: 2025-11-24 is in the future (today is 2025-11-23 UTC)'));
    expect(() => checkRerunDay('2023-02-29', now)).toThrow(RerunInputError);
    expect(() => checkRerunDay('', now)).toThrow(RerunInputError);
  });

  it('executionName: day and UTC time, Step Functions characters, at most 80', () => {
    const name = executionName('2025-03-01', now);
    expect(name).toBe('rerun-2025-03-01-20251123T103000Z');
    expect(name.length).toBeLessThanOrEqual(80);
  });

  it('waitForExecution: backs off exponentially up to the cap, and stops at the bound', async () => {
    let clock = 0;
    const sleeps: number[] = [];
    const sleep = async (ms: number) => {
      sleeps.push(ms);
      clock += ms;
    };
    const running: ExecutionDescription = { status: 'RUNNING' };
    await expect(waitForExecution(async () => running, { initialDelayMs: 1000, maxDelayMs: 4000, timeoutMs: 15_000, sleep, now: () => clock })).rejects.toThrow(WaitTimeoutError);
    expect(sleeps).toEqual([1000, 2000, 4000, 4000, 4000]);

    let polls = 0;
    const done = await waitForExecution(async () => (++polls < 3 ? running : { status: 'FAILED', error: 'E' }), { sleep, now: () => clock });
    expect(done).toEqual({ status: 'FAILED', error: 'E' });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
