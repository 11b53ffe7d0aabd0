/**
 * Where the GitHub token comes from: the environment (local runs, CI) or AWS Secrets Manager
 * (Lambda). Error messages name the variable or secret, never the value.
 */
import { GetSecretValueCommand, type GetSecretValueCommandOutput } from '@aws-sdk/client-secrets-manager';
import { AdapterError } from './errors.js';

/** Where a command run by a person looks for the token, first to last (`GH_TOKEN` is the GitHub CLI's). */
export const GITHUB_TOKEN_VARIABLES = ['GITHUB_TOKEN', 'GH_TOKEN'] as const;

export class MissingTokenError extends AdapterError {
  static override readonly userFacing = true;
}

/**
 * The token in `GITHUB_TOKEN` (or `GH_TOKEN`); throws, naming the variables and what the token
 * must be allowed (`needs`), when neither holds one.
 */
export function tokenFromEnvironment(needs: string, env: NodeJS.ProcessEnv = process.env): string {
  for (const name of GITHUB_TOKEN_VARIABLES) {
    const token = env[name]?.trim();
    if (token) return token;
  }
  throw new MissingTokenError(`set ${GITHUB_TOKEN_VARIABLES.join(' (or ')}) to a GitHub token that ${needs}`);
}

/** The one call used of a SecretsManagerClient, so tests can pass a stand-in. */
export interface SecretsClient {
  send(command: GetSecretValueCommand): Promise<GetSecretValueCommandOutput>;
}

export interface SecretsManagerTokenOptions {
  client: SecretsClient;
  /** Name or ARN of a secret holding the token, or JSON `{"token": "..."}`. */
  secretId: string;
  /** How long a read token is reused (default 15 minutes, so a rotation is picked up). */
  ttlMs?: number;
  /** For tests. */
  now?: () => number;
}

export type TokenProvider = () => Promise<string>;

/**
 * A token source reading the secret once and then reusing it for `ttlMs`. Create it once per
 * container (at module scope, outside the handler) so warm invocations make no Secrets
 * Manager call; concurrent callers share one read, and a failed read is not cached.
 */
export function tokenFromSecretsManager(options: SecretsManagerTokenOptions): TokenProvider {
  const ttlMs = options.ttlMs ?? 15 * 60 * 1000;
  const now = options.now ?? Date.now;
  let cached: { token: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;

  const read = async (): Promise<string> => {
    let output: GetSecretValueCommandOutput;
    try {
      output = await options.client.send(new GetSecretValueCommand({ SecretId: options.secretId }));
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new Error(`cannot read the GitHub token from Secrets Manager secret ${options.secretId}: ${reason}`, { cause: error });
    }
    const text = output.SecretString ?? (output.SecretBinary ? Buffer.from(output.SecretBinary).toString('utf8') : undefined);
    return parseSecret(text, options.secretId);
  };

  return async () => {
    const at = now();
    if (cached && at < cached.expiresAt) return cached.token;
    pending ??= read()
      .then((token) => {
        cached = { token, expiresAt: now() + ttlMs };
        return token;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}

function parseSecret(text: string | undefined, secretId: string): string {
  const value = text?.trim();
  if (!value) throw new Error(`Secrets Manager secret ${secretId} is empty: it must hold a GitHub token or {"token": "..."}`);
  if (!value.startsWith('{')) return value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    // The parser's message may quote the secret, so it is not passed on.
    throw new Error(`Secrets Manager secret ${secretId} starts with "{" but is not valid JSON: it must hold a GitHub token or {"token": "..."}`);
  }
  const token = (parsed as { token?: unknown } | null)?.token;
  if (typeof token !== 'string' || token.trim() === '') {
    throw new Error(`Secrets Manager secret ${secretId} is JSON without a non-empty string "token" field`);
  }
  return token.trim();
}
