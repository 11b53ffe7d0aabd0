/**
 * A wire-level fake of the Step Functions JSON 1.0 protocol: `POST /` with
 * `x-amz-target: AWSStepFunctions.<Operation>` and `application/x-amz-json-1.0` bodies,
 * answering StartExecution, DescribeExecution and ListExecutions as the service does —
 * including its idempotent restart (same name and input while RUNNING returns the same
 * execution), ListExecutions' newest-first order, status filter and paging, and its
 * `ExecutionAlreadyExists`, `StateMachineDoesNotExist`, `InvalidArn`, `InvalidName`,
 * `InvalidToken`, `ValidationException`, `ExecutionDoesNotExist` errors (`__type` in the body,
 * HTTP 400).
 */
import { randomUUID } from 'node:crypto';
import { parseSigV4, startWireServer, type WireResponse, type WireServer } from './http.js';

export type TerminalStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ScriptedOutcome {
  status: TerminalStatus;
  output?: string;
  error?: string;
  cause?: string;
  /** DescribeExecution answers RUNNING this many times first (default 0); Infinity: never stops. */
  runningPolls?: number;
}

export interface FakeExecution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  startDate: Date;
  stopDate?: Date;
  status: 'RUNNING' | TerminalStatus;
  polls: number;
  outcome: ScriptedOutcome;
}

export interface RecordedCall {
  target: string;
  body: Record<string, unknown>;
  contentType: string | undefined;
  /** From the SigV4 credential scope. */
  accessKeyId?: string;
  region?: string;
  service?: string;
  status: number;
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:.+$/;
const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];
const NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;
const PREFIX = 'com.amazonaws.swf.service.v2.model#';

export class StepFunctionsFake {
  readonly calls: RecordedCall[] = [];
  readonly executions = new Map<string, FakeExecution>();
  /** What a started execution will do; by default it succeeds at the first poll with `{}`. */
  outcome: (input: string) => ScriptedOutcome = () => ({ status: 'SUCCEEDED', output: '{}' });
  private readonly stateMachines = new Set<string>();
  private readonly pageTokens = new Map<string, number>();
  private readonly startHooks: ((request: { stateMachineArn: string; name: string; input: string }) => void)[] = [];

  private constructor(private readonly server: WireServer) {}

  get url(): string {
    return this.server.url;
  }

  static async start(stateMachineArns: readonly string[]): Promise<StepFunctionsFake> {
    let fake: StepFunctionsFake | undefined;
    const server = await startWireServer((request) => fake!.handle(request.method, request.headers, request.body));
    fake = new StepFunctionsFake(server);
    for (const arn of stateMachineArns) fake.stateMachines.add(arn);
    return fake;
  }

  /** Runs before each StartExecution is decided (e.g. to add an execution of the same name). */
  beforeStart(hook: (request: { stateMachineArn: string; name: string; input: string }) => void): () => void {
    this.startHooks.push(hook);
    return () => {
      const index = this.startHooks.indexOf(hook);
      if (index !== -1) this.startHooks.splice(index, 1);
    };
  }

  /** An execution as if started earlier; one that has stopped did so 4.25 s after its start unless `stopDate` says. */
  addExecution(execution: Omit<FakeExecution, 'executionArn' | 'polls' | 'outcome' | 'startDate'> & { outcome?: ScriptedOutcome; startDate?: Date }): FakeExecution {
    const startDate = execution.startDate ?? new Date();
    const full: FakeExecution = {
      ...execution,
      executionArn: executionArn(execution.stateMachineArn, execution.name),
      startDate,
      ...(execution.status !== 'RUNNING' ? { stopDate: execution.stopDate ?? new Date(startDate.getTime() + 4_250) } : {}),
      polls: 0,
      outcome: execution.outcome ?? { status: execution.status === 'RUNNING' ? 'SUCCEEDED' : execution.status },
    };
    this.executions.set(full.executionArn, full);
    return full;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private handle(method: string, headers: Record<string, string | string[] | undefined>, text: string): WireResponse {
    const target = String(headers['x-amz-target'] ?? '');
    const contentType = headers['content-type'] as string | undefined;
    const auth = parseSigV4(headers.authorization as string | undefined);
    let body: Record<string, unknown> = {};
    const record = (response: WireResponse): WireResponse => {
      this.calls.push({
        target,
        body,
        contentType,
        ...(auth ? { accessKeyId: auth.accessKeyId, region: auth.region, service: auth.service } : {}),
        status: response.status,
      });
      return response;
    };
    if (method !== 'POST') return record(error(405, 'UnknownOperationException', 'Only POST is supported', 'com.amazon.coral.service#'));
    if (!auth) return record(error(400, 'MissingAuthenticationTokenException', 'Missing Authentication Token', 'com.amazon.coral.service#'));
    if (contentType !== 'application/x-amz-json-1.0') return record(error(400, 'SerializationException', `unexpected content type ${contentType}`, 'com.amazon.coral.service#'));
    try {
      body = JSON.parse(text || '{}') as Record<string, unknown>;
    } catch {
      return record(error(400, 'SerializationException', 'body is not JSON', 'com.amazon.coral.service#'));
    }
    switch (target) {
      case 'AWSStepFunctions.StartExecution':
        return record(this.startExecution(body));
      case 'AWSStepFunctions.DescribeExecution':
        return record(this.describeExecution(body));
      case 'AWSStepFunctions.ListExecutions':
        return record(this.listExecutions(body));
      default:
        return record(error(400, 'UnknownOperationException', `unknown operation ${target}`, 'com.amazon.coral.service#'));
    }
  }

  private startExecution(body: Record<string, unknown>): WireResponse {
    const stateMachineArn = String(body.stateMachineArn ?? '');
    const name = typeof body.name === 'string' ? body.name : randomUUID();
    const input = typeof body.input === 'string' ? body.input : '{}';
    if (!STATE_MACHINE_ARN.test(stateMachineArn)) return error(400, 'InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${stateMachineArn}'`);
    if (!this.stateMachines.has(stateMachineArn)) return error(400, 'StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    if (!NAME.test(name)) return error(400, 'InvalidName', `Invalid Name: '${name}'`);
    try {
      JSON.parse(input);
    } catch {
      return error(400, 'InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    for (const hook of this.startHooks) hook({ stateMachineArn, name, input });
    const arn = executionArn(stateMachineArn, name);
    const existing = this.executions.get(arn);
    if (existing) {
      // The service's idempotency: the same request while it runs gets the same answer.
      if (existing.status === 'RUNNING' && existing.input === input) return ok({ executionArn: arn, startDate: epochSeconds(existing.startDate) });
      return error(400, 'ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const execution = this.addExecution({ stateMachineArn, name, input, status: 'RUNNING', outcome: this.outcome(input) });
    return ok({ executionArn: arn, startDate: epochSeconds(execution.startDate) });
  }

  /** Newest first, `maxResults` to a page (0 or absent: 100; at most 1,000), then an opaque `nextToken`. */
  private listExecutions(body: Record<string, unknown>): WireResponse {
    const stateMachineArn = String(body.stateMachineArn ?? '');
    const maxResults = body.maxResults === undefined ? 0 : Number(body.maxResults);
    const statusFilter = body.statusFilter as string | undefined;
    if (!Number.isInteger(maxResults) || maxResults < 0 || maxResults > 1000) {
      return error(400, 'ValidationException', `1 validation error detected: Value '${String(body.maxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`, 'com.amazon.coral.validate#');
    }
    if (statusFilter !== undefined && !STATUSES.includes(statusFilter)) {
      return error(400, 'ValidationException', `1 validation error detected: Value '${statusFilter}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${STATUSES.join(', ')}]`, 'com.amazon.coral.validate#');
    }
    if (!STATE_MACHINE_ARN.test(stateMachineArn)) return error(400, 'InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${stateMachineArn}'`);
    if (!this.stateMachines.has(stateMachineArn)) return error(400, 'StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    const matching = [...this.executions.values()]
      .filter((execution) => execution.stateMachineArn === stateMachineArn && (statusFilter === undefined || execution.status === statusFilter))
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
    let start = 0;
    if (body.nextToken !== undefined) {
      const offset = this.pageTokens.get(String(body.nextToken));
      if (offset === undefined) return error(400, 'InvalidToken', `Invalid Token: '${String(body.nextToken)}'`);
      start = offset;
    }
    const page = matching.slice(start, start + (maxResults || 100));
    const next = start + page.length;
    let nextToken: string | undefined;
    if (next < matching.length) {
      nextToken = randomUUID();
      this.pageTokens.set(nextToken, next);
    }
    return ok({
      executions: page.map((execution) => ({
        executionArn: execution.executionArn,
        stateMachineArn: execution.stateMachineArn,
        name: execution.name,
        status: execution.status,
        startDate: epochSeconds(execution.startDate),
        ...(execution.status !== 'RUNNING' && execution.stopDate ? { stopDate: epochSeconds(execution.stopDate) } : {}),
        redriveCount: 0,
      })),
      ...(nextToken ? { nextToken } : {}),
    });
  }

  private describeExecution(body: Record<string, unknown>): WireResponse {
    const arn = String(body.executionArn ?? '');
    const execution = this.executions.get(arn);
    if (!execution) return error(400, 'ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    execution.polls++;
    if (execution.status === 'RUNNING' && execution.polls > (execution.outcome.runningPolls ?? 0)) {
      execution.status = execution.outcome.status;
      execution.stopDate = new Date(execution.startDate.getTime() + 4_250);
    }
    const { outcome } = execution;
    const stopped = execution.status !== 'RUNNING';
    return ok({
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: epochSeconds(execution.startDate),
      ...(stopped && execution.stopDate ? { stopDate: epochSeconds(execution.stopDate) } : {}),
      input: execution.input,
      inputDetails: { included: true },
      ...(stopped && execution.status === 'SUCCEEDED' ? { output: outcome.output ?? '{}', outputDetails: { included: true } } : {}),
      ...(stopped && outcome.error !== undefined ? { error: outcome.error } : {}),
      ...(stopped && outcome.cause !== undefined ? { cause: outcome.cause } : {}),
      redriveCount: 0,
      redriveStatus: stopped && execution.status !== 'SUCCEEDED' ? 'REDRIVABLE' : 'NOT_REDRIVABLE',
    });
  }
}

export function executionArn(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

const headers = () => ({ 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });

function ok(body: unknown): WireResponse {
  return { status: 200, headers: headers(), body: JSON.stringify(body) };
}

function error(status: number, code: string, message: string, prefix = PREFIX): WireResponse {
  return { status, headers: { ...headers(), 'x-amzn-errortype': `${code}:` }, body: JSON.stringify({ __type: `${prefix}${code}`, message }) };
}
