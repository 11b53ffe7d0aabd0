/**
 * Running Terraform (and the project's npm scripts) for the deploy test, and saying in a few
 * lines what went wrong: the resource, Terraform's error (which quotes the AWS answer), what
 * was still running at a time-out, and moto's own error answers — never a whole log.
 */
import { spawn } from 'node:child_process';

export interface ProcessResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly seconds: number;
}

/** Runs a command to the end, or kills it (and its children) after `timeoutMs`. */
export function runProcess(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<ProcessResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // Its own process group, so a time-out stops terraform's provider plugins too.
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({
        status,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        timedOut,
        seconds: Math.round((performance.now() - started) / 100) / 10,
      });
    });
  });
}

/** One line of `terraform … -json`. */
export interface TerraformMessage {
  readonly type: string;
  readonly '@message'?: string;
  readonly diagnostic?: { severity: string; summary: string; detail?: string; address?: string; snippet?: { context?: string | null } };
  readonly hook?: { resource?: { addr: string }; action?: string; elapsed_seconds?: number };
  readonly changes?: { add: number; change: number; import: number; remove: number; operation: string };
}

export function terraformMessages(stdout: string): TerraformMessage[] {
  return stdout.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as TerraformMessage];
    } catch {
      return [];
    }
  });
}

const oneLine = (text: string, max = 600) => text.replace(/\s+/g, ' ').trim().slice(0, max);

/** Error diagnostics as `address: summary: detail`. */
export function errorDiagnostics(messages: readonly TerraformMessage[]): string[] {
  return messages.flatMap((message) => {
    const d = message.diagnostic;
    if (message.type !== 'diagnostic' || !d || d.severity !== 'error') return [];
    // Terraform names the resource in `address`, or only inside the detail ("… to \"aws_x.y\" …").
    const where = d.address ?? /"((?:data\.)?aws_[a-z0-9_]+\.[^"\s]+)"/.exec(d.detail ?? '')?.[1] ?? d.snippet?.context ?? 'configuration';
    return [`${where}: ${oneLine(d.summary)}${d.detail ? `: ${oneLine(d.detail)}` : ''}`];
  });
}

/** Resources whose operation started and never finished (what a time-out interrupted). */
export function unfinishedResources(messages: readonly TerraformMessage[]): string[] {
  const open = new Map<string, string>();
  for (const message of messages) {
    const address = message.hook?.resource?.addr;
    if (!address) continue;
    if (message.type === 'apply_start') open.set(address, message.hook?.action ?? 'apply');
    if (message.type === 'apply_complete' || message.type === 'apply_errored') open.delete(address);
  }
  return [...open].map(([address, action]) => `${address} (${action})`);
}

/** `Error: …` blocks of Terraform's human-readable output, each with the resource it names. */
export function plainTerraformErrors(output: string): string[] {
  // eslint-disable-next-line no-control-regex
  const text = output.replace(/\u001b\[[0-9;]*m/g, '').replace(/^[│╷╵]\s?/gm, '');
  const blocks = text.split(/^(?=Error: )/m).slice(1);
  return blocks.map((block) => {
    const [first, ...rest] = block.split('\n');
    const address = /^\s*with ([^\s,]+),/m.exec(rest.join('\n'))?.[1];
    const detail = rest.join(' ').split(/\s+with [^\s,]+,/)[0] ?? '';
    return `${address ?? 'terraform'}: ${oneLine((first ?? '').replace(/^Error: /, ''), 300)}${detail.trim() ? `: ${oneLine(detail, 400)}` : ''}`;
  });
}

export interface FailureContext {
  /** What was being done: `apply (new account)`. */
  readonly step: string;
  readonly result: ProcessResult;
  /** moto's error answers during the step. */
  readonly motoAnswers: string;
  readonly json?: boolean;
}

/** The one message a failed step throws. */
export function describeFailure({ step, result, motoAnswers, json = false }: FailureContext): string {
  const messages = json ? terraformMessages(result.stdout) : [];
  const errors = json ? errorDiagnostics(messages) : plainTerraformErrors(`${result.stdout}\n${result.stderr}`);
  const lines = [`${step} failed (${result.timedOut ? `timed out after ${result.seconds} s` : `exit status ${result.status}`}, ${result.seconds} s)`];
  for (const error of errors) lines.push(`  ${error}`);
  if (result.timedOut && json) for (const resource of unfinishedResources(messages)) lines.push(`  still in progress: ${resource}`);
  if (errors.length === 0) {
    const tail = oneLine(result.stderr || result.stdout.split('\n').slice(-5).join(' '), 800);
    if (tail) lines.push(`  output ends: ${tail}`);
  }
  lines.push(motoAnswers);
  return lines.join('\n');
}
