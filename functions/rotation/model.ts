/**
 * What a rotation works on and what it reports: the IAM side (`KeyManager`) and the GitHub side
 * (`SecretStore`), each bound to one user or repository (adapters in functions/adapters/), and
 * the report every rotation ends with, whatever happened.
 */
import type { Redacted } from '../core/redacted.js';

export const SECRET_NAMES = {
  accessKeyId: 'AWS_ACCESS_KEY_ID',
  secretAccessKey: 'AWS_SECRET_ACCESS_KEY',
  queueUrl: 'QUEUE_URL',
} as const;

export type KeyStatus = 'Active' | 'Inactive';

export interface AccessKeyInfo {
  readonly id: string;
  readonly status: KeyStatus;
  readonly createdAt?: Date;
}

export interface NewAccessKey {
  readonly id: string;
  readonly secret: Redacted;
  readonly createdAt?: Date;
}

/** The IAM side, bound to one user. */
export interface KeyManager {
  readonly user: string;
  listKeys(): Promise<AccessKeyInfo[]>;
  createKey(): Promise<NewAccessKey>;
  setKeyStatus(id: string, status: KeyStatus): Promise<void>;
  deleteKey(id: string): Promise<void>;
  /**
   * Whether AWS accepts the key yet: `rejected` while it is unknown (IAM is eventually
   * consistent) or inactive. Throws for anything that says nothing about the key (network).
   */
  checkKey(key: NewAccessKey): Promise<'accepted' | 'rejected'>;
}

/** The GitHub side, bound to one repository. */
export interface SecretStore {
  readonly repository: string;
  /** Reads what writing needs (the repository's public key), which also proves access. */
  prepare(): Promise<void>;
  /** When each named secret that exists was last updated. */
  updatedAt(names: readonly string[]): Promise<Map<string, Date>>;
  put(name: string, value: Redacted): Promise<void>;
}

export type RotationOutcome =
  /** Done: secrets hold the new key, the old one is deleted. */
  | 'rotated'
  /** Nothing changed: what would happen is in `steps`. */
  | 'dry-run'
  /** Nothing changed: the starting state does not allow a rotation (or could not be read). */
  | 'refused'
  /** A step failed and everything done before it was undone. */
  | 'rolled-back'
  /** A step failed, or the old key could not be removed; the state is safe but needs a look. */
  | 'incomplete';

export type StepStatus = 'done' | 'failed' | 'planned' | 'skipped';

export interface RotationStep {
  readonly step: string;
  readonly status: StepStatus;
  readonly detail?: string;
  readonly at: string;
}

export interface RotationReport {
  readonly ok: boolean;
  readonly outcome: RotationOutcome;
  readonly dryRun: boolean;
  readonly user: string;
  readonly repository: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** `…WXYZ`: the last four characters of the key the secrets held before. */
  readonly oldKey?: string;
  readonly newKey?: string;
  readonly newKeyCreatedAt?: string;
  readonly deletedInactiveKey?: string;
  /** Secrets written (or, in a dry run, to be written), in order. */
  readonly secrets: readonly string[];
  readonly verifyAttempts?: number;
  /** The user's keys at the end (suffixes), when they could be listed. */
  readonly keys?: readonly { key: string; status: KeyStatus }[];
  readonly steps: readonly RotationStep[];
  readonly warnings: readonly string[];
  readonly error?: string;
}
