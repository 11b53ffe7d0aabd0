/**
 * GitHub Actions repository secrets for the emulator: a libsodium sealed-box key pair and
 * an in-memory store of the encrypted values.
 *
 * Unlike github.com, a value that does not open with the repository key pair is refused
 * (422): the emulator holds the private key, and a client that encrypts with the wrong key
 * or encoding should fail in a test, not at workflow run time.
 */
import { randomInt } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import { z } from 'zod';
import { isBase64, isoSeconds, notFound, parseBody, unprocessable, type ApiResponse, type Route } from './http.js';

export interface SecretsKeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
  keyId: string;
}

export interface StoredSecret {
  /** Base64 of the sealed box, exactly as the client sent it. */
  encryptedValue: string;
  keyId: string;
  createdAt: string;
  updatedAt: string;
}

export interface SecretsOptions {
  /** Read on every request, so replacing the key pair rotates it. */
  keyPair(): SecretsKeyPair;
  secrets: Map<string, StoredSecret>;
  /** `{baseUrl}/repos/{owner}/{repo}`, for pagination links. */
  repoUrl: string;
  now(): Date;
}

const putSecretSchema = z.object({ encrypted_value: z.string(), key_id: z.string() });

/** Callers must have awaited `sodium.ready`. */
export function generateSecretsKeyPair(): SecretsKeyPair {
  const { publicKey, privateKey } = sodium.crypto_box_keypair();
  // GitHub's key ids are long decimal strings.
  const keyId = `${randomInt(1, 10)}${String(randomInt(0, 1e9)).padStart(9, '0')}${String(randomInt(0, 1e8)).padStart(8, '0')}`;
  return { publicKey, privateKey, keyId };
}

/** Opens a stored value; null when it is not a sealed box for this key pair. */
export function openSecret(encryptedValue: string, keyPair: SecretsKeyPair): string | null {
  if (!isBase64(encryptedValue)) return null;
  try {
    const sealed = sodium.from_base64(encryptedValue.replace(/\s+/g, ''), sodium.base64_variants.ORIGINAL);
    return sodium.crypto_box_seal_open(sealed, keyPair.publicKey, keyPair.privateKey, 'text');
  } catch {
    return null;
  }
}

/**
 * GitHub's rules: letters, digits and underscores, not starting with a digit or GITHUB_.
 * Names are case-insensitive and stored upper-case.
 */
export function isValidSecretName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !/^GITHUB_/i.test(name);
}

export function secretsRoutes(options: SecretsOptions): Route[] {
  const describe = (name: string, secret: StoredSecret) => ({
    name,
    created_at: secret.createdAt,
    updated_at: secret.updatedAt,
  });

  const publicKey = (): ApiResponse => {
    const keyPair = options.keyPair();
    return {
      status: 200,
      body: { key_id: keyPair.keyId, key: sodium.to_base64(keyPair.publicKey, sodium.base64_variants.ORIGINAL) },
    };
  };

  const list = (query: URLSearchParams): ApiResponse => {
    const perPage = Math.min(100, Math.max(1, Number(query.get('per_page')) || 30));
    const page = Math.max(1, Number(query.get('page')) || 1);
    const names = [...options.secrets.keys()].sort();
    const slice = names.slice((page - 1) * perPage, page * perPage);
    const lastPage = Math.max(1, Math.ceil(names.length / perPage));
    const headers: Record<string, string> = {};
    if (page < lastPage) {
      // Octokit's paginate() follows rel="next" as an absolute URL.
      const link = (n: number) => `<${options.repoUrl}/actions/secrets?per_page=${perPage}&page=${n}>`;
      headers.link = `${link(page + 1)}; rel="next", ${link(lastPage)}; rel="last"`;
    }
    return {
      status: 200,
      headers,
      body: { total_count: names.length, secrets: slice.map((name) => describe(name, options.secrets.get(name)!)) },
    };
  };

  const get = (rawName: string): ApiResponse => {
    const name = rawName.toUpperCase();
    const secret = options.secrets.get(name);
    if (!secret) throw notFound();
    return { status: 200, body: describe(name, secret) };
  };

  const put = (rawName: string, body: unknown): ApiResponse => {
    if (!isValidSecretName(rawName)) {
      throw unprocessable(
        'Invalid request.\n\nSecret names can only contain alphanumeric characters or underscores, must not start with a number, and must not start with GITHUB_.',
      );
    }
    const input = parseBody(putSecretSchema, body);
    const keyPair = options.keyPair();
    if (input.key_id !== keyPair.keyId) throw unprocessable('Bad request - key_id does not match the repository public key.');
    if (openSecret(input.encrypted_value, keyPair) === null) {
      throw unprocessable('Bad request - encrypted_value is not a sealed box for the repository public key.');
    }
    const name = rawName.toUpperCase();
    const now = isoSeconds(options.now());
    const existing = options.secrets.get(name);
    options.secrets.set(name, {
      encryptedValue: input.encrypted_value,
      keyId: input.key_id,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    });
    return existing ? { status: 204 } : { status: 201, body: {} };
  };

  const remove = (rawName: string): ApiResponse => {
    if (!options.secrets.delete(rawName.toUpperCase())) throw notFound();
    return { status: 204 };
  };

  return [
    { method: 'GET', pattern: /^\/actions\/secrets\/public-key$/, handle: () => publicKey() },
    { method: 'GET', pattern: /^\/actions\/secrets\/?$/, handle: (c) => list(c.query) },
    { method: 'GET', pattern: /^\/actions\/secrets\/([^/]+)$/, handle: (_, m) => get(m[1]!) },
    { method: 'PUT', pattern: /^\/actions\/secrets\/([^/]+)$/, handle: (c, m) => put(m[1]!, c.body) },
    { method: 'DELETE', pattern: /^\/actions\/secrets\/([^/]+)$/, handle: (_, m) => remove(m[1]!) },
  ];
}
