/**
 * Rotating the IAM access key that a GitHub repository keeps in its Actions secrets
 * (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, and `QUEUE_URL` beside them).
 *
 * Order: list keys (delete an inactive one if the user is at IAM's two-key quota) → create the
 * new key → write the secrets → verify (the new key authenticates; the secrets were updated)
 * → deactivate, then delete, the old key.
 *
 * Invariants, whatever fails: the user never has more than two keys nor zero working ones,
 * and the secrets always name an active key. Secret values cannot be read back from GitHub,
 * so a failure after the new secret key went out cannot restore the old pair: both keys are
 * then left active (outcome `incomplete`), never deleted. Before that point everything is
 * undone (outcome `rolled-back`). The secret access key is only ever held in a `Redacted`;
 * reports, steps and errors carry key id suffixes and timestamps, nothing more.
 */
import { Redacted, scrub } from '../core/redacted.js';
import { SECRET_NAMES, type AccessKeyInfo, type KeyManager, type KeyStatus, type NewAccessKey, type RotationOutcome, type RotationReport, type RotationStep, type SecretStore, type StepStatus } from './model.js';
import { keySuffix, planRotation, type RotationPlan } from './plan.js';
import { staleSecrets, waitForKey, type KeyCheck, type VerifyOptions } from './verify.js';

export interface RotationOptions {
  readonly keys: KeyManager;
  readonly secrets: SecretStore;
  /** Written to `QUEUE_URL` when given; that secret is left alone otherwise. */
  readonly queueUrl?: string;
  readonly dryRun?: boolean;
  readonly verify?: VerifyOptions;
  readonly onStep?: (step: RotationStep) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => Date;
}

/** Rotates; never throws for a failed step — the report says what happened and what state is left. */
export async function rotateAccessKey(options: RotationOptions): Promise<RotationReport> {
  return new Rotation(options).run();
}

class Rotation {
  private readonly keys: KeyManager;
  private readonly secrets: SecretStore;
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly startedAt: Date;
  private readonly steps: RotationStep[] = [];
  private readonly warnings: string[] = [];
  private readonly written: string[] = [];
  private baseline = new Map<string, Date>();
  private old: AccessKeyInfo | undefined;
  private created: NewAccessKey | undefined;
  private deletedInactive: AccessKeyInfo | undefined;
  private verifyAttempts: number | undefined;

  constructor(private readonly options: RotationOptions) {
    this.keys = options.keys;
    this.secrets = options.secrets;
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.startedAt = this.now();
  }

  /** Secret names in the order they are written: see `writeSecrets`. */
  private get secretNames(): string[] {
    return [...(this.options.queueUrl !== undefined ? [SECRET_NAMES.queueUrl] : []), SECRET_NAMES.accessKeyId, SECRET_NAMES.secretAccessKey];
  }

  async run(): Promise<RotationReport> {
    const user = this.keys.user;
    let keys: AccessKeyInfo[];
    try {
      keys = await this.keys.listKeys();
    } catch (error) {
      this.step('list-keys', 'failed', this.text(error));
      return this.finish('refused', `could not list the access keys of IAM user ${user}: ${this.text(error)}`);
    }
    this.step('list-keys', 'done', keys.length === 0 ? 'no keys' : keys.map((k) => `${keySuffix(k.id)} ${k.status.toLowerCase()}`).join(', '));
    const plan = planRotation(user, keys);
    if (plan.kind === 'refuse') return this.finish('refused', plan.reason);
    this.old = plan.old;

    try {
      await this.secrets.prepare();
      this.baseline = await this.secrets.updatedAt(this.secretNames);
    } catch (error) {
      this.step('read-secrets', 'failed', this.text(error));
      return this.finish('refused', `cannot use the Actions secrets of ${this.secrets.repository}: ${this.text(error)}`);
    }
    this.step('read-secrets', 'done', this.secretNames.map((n) => `${n} ${this.baseline.has(n) ? `updated ${iso(this.baseline.get(n)!)}` : 'missing'}`).join(', '));

    if (this.options.dryRun) return this.planOnly(plan);

    if (plan.deleteFirst) {
      try {
        await this.keys.deleteKey(plan.deleteFirst.id);
      } catch (error) {
        this.step('delete-inactive-key', 'failed', `${keySuffix(plan.deleteFirst.id)}: ${this.text(error)}`);
        return this.finish('refused', `could not delete inactive key ${keySuffix(plan.deleteFirst.id)} to make room: ${this.text(error)}`);
      }
      this.deletedInactive = plan.deleteFirst;
      this.step('delete-inactive-key', 'done', keySuffix(plan.deleteFirst.id));
    }

    try {
      this.created = await this.keys.createKey();
    } catch (error) {
      this.step('create-key', 'failed', this.text(error));
      await this.removeStrayKeys(keys);
      return this.rolledBack(`could not create a new access key: ${this.text(error)}`);
    }
    this.step('create-key', 'done', keySuffix(this.created.id));

    const writeFailure = await this.writeSecrets(this.created);
    if (writeFailure) return writeFailure;

    const verified = await this.verifyKey(this.created);
    if (!verified.ok) {
      return this.finish(
        'incomplete',
        `the new key ${keySuffix(this.created.id)} was not accepted by AWS after ${verified.attempts} attempt(s) (${verified.detail}); the secrets hold it, so ${this.keptActive()}`,
      );
    }
    const stale = await staleSecrets(this.secrets, this.written, this.baseline, (error) => this.text(error));
    if (stale.length > 0) {
      this.step('verify-secrets', 'failed', stale.join('; '));
      return this.finish('incomplete', `the secrets could not be confirmed as updated (${stale.join('; ')}); ${this.keptActive()}`);
    }
    this.step('verify-secrets', 'done', this.written.join(', '));

    return this.retireOldKey();
  }

  private planOnly(plan: Extract<RotationPlan, { kind: 'rotate' }>): Promise<RotationReport> {
    if (plan.deleteFirst) this.step('delete-inactive-key', 'planned', keySuffix(plan.deleteFirst.id));
    this.step('create-key', 'planned');
    this.step('write-secrets', 'planned', this.secretNames.join(', '));
    this.step('verify-key', 'planned');
    this.step('verify-secrets', 'planned');
    if (plan.old?.status === 'Active') this.step('deactivate-old-key', 'planned', keySuffix(plan.old.id));
    if (plan.old) this.step('delete-old-key', 'planned', keySuffix(plan.old.id));
    return this.finish('dry-run');
  }

  /**
   * `QUEUE_URL` first: it does not depend on the key, so a failure there leaves the key pair
   * untouched. Then the key id before the secret key: the old id is known, so if the secret
   * key cannot be written the id can be put back and the pair is the old one again. (The old
   * secret key is not known, so the other order could not be undone.)
   */
  private async writeSecrets(created: NewAccessKey): Promise<RotationReport | undefined> {
    const values = new Map<string, Redacted>([
      [SECRET_NAMES.queueUrl, new Redacted(this.options.queueUrl ?? '')],
      [SECRET_NAMES.accessKeyId, new Redacted(created.id)],
      [SECRET_NAMES.secretAccessKey, created.secret],
    ]);
    for (const name of this.secretNames) {
      try {
        await this.secrets.put(name, values.get(name)!);
        this.written.push(name);
      } catch (error) {
        this.step('write-secrets', 'failed', `${name}: ${this.text(error)}`);
        return this.recoverFromWriteFailure(name, error);
      }
    }
    this.step('write-secrets', 'done', this.written.join(', '));
    return undefined;
  }

  private async recoverFromWriteFailure(failed: string, error: unknown): Promise<RotationReport> {
    const created = this.created!;
    const reason = `could not write ${failed} to ${this.secrets.repository}: ${this.text(error)}`;
    // A PUT that errored may still have been applied: ask GitHub what changed.
    let changed: Set<string>;
    try {
      const now = await this.secrets.updatedAt([SECRET_NAMES.accessKeyId, SECRET_NAMES.secretAccessKey]);
      changed = new Set(this.written);
      for (const [name, at] of now) if (this.baseline.get(name)?.getTime() !== at.getTime()) changed.add(name);
    } catch (readError) {
      this.warnings.push(`could not re-read the secrets after the failure (${this.text(readError)}); assuming ${failed} was written`);
      changed = new Set([...this.written, failed]);
    }

    if (changed.has(SECRET_NAMES.secretAccessKey)) {
      return this.finish('incomplete', `${reason}; the secrets hold the new key, so ${this.keptActive()}`);
    }
    if (changed.has(SECRET_NAMES.accessKeyId)) {
      if (!this.old) {
        return this.finish('incomplete', `${reason}; ${SECRET_NAMES.accessKeyId} holds the new key ${keySuffix(created.id)} but ${SECRET_NAMES.secretAccessKey} does not; the new key was left active`);
      }
      try {
        await this.secrets.put(SECRET_NAMES.accessKeyId, new Redacted(this.old.id));
        this.step('restore-secret', 'done', `${SECRET_NAMES.accessKeyId} = ${keySuffix(this.old.id)}`);
      } catch (restoreError) {
        this.step('restore-secret', 'failed', `${SECRET_NAMES.accessKeyId}: ${this.text(restoreError)}`);
        return this.finish(
          'incomplete',
          `${reason}; ${SECRET_NAMES.accessKeyId} now names the new key ${keySuffix(created.id)} but ${SECRET_NAMES.secretAccessKey} still holds the old key's secret, and putting the old id back failed (${this.text(restoreError)}): the secrets do not form a working pair until this is fixed; both keys were left active`,
        );
      }
    }
    // The secrets name the old key again (or never stopped): the new key is unused.
    try {
      await this.keys.deleteKey(created.id);
      this.step('delete-new-key', 'done', keySuffix(created.id));
    } catch (deleteError) {
      this.step('delete-new-key', 'failed', `${keySuffix(created.id)}: ${this.text(deleteError)}`);
      this.warnings.push(`the unused new key ${keySuffix(created.id)} could not be deleted (${this.text(deleteError)}); delete it by hand`);
      return this.finish('incomplete', `${reason}; the secrets still name the old key`);
    }
    if (changed.has(SECRET_NAMES.queueUrl)) this.warnings.push(`${SECRET_NAMES.queueUrl} was updated before the failure`);
    return this.rolledBack(`${reason}; the secrets still name the old key and the new key was deleted`);
  }

  /** The inactive key deleted to make room cannot come back, but it was not in use: still a roll-back. */
  private rolledBack(error: string): Promise<RotationReport> {
    if (this.deletedInactive) this.warnings.push(`the inactive key ${keySuffix(this.deletedInactive.id)} deleted to make room stays deleted`);
    return this.finish('rolled-back', error);
  }

  private keptActive(): string {
    return this.old ? 'both keys were left active' : 'the new key was left active';
  }

  /** A key IAM created although CreateAccessKey reported an error would be unusable (its secret is lost). */
  private async removeStrayKeys(before: readonly AccessKeyInfo[]): Promise<void> {
    try {
      const known = new Set(before.map((k) => k.id));
      for (const stray of (await this.keys.listKeys()).filter((k) => !known.has(k.id))) {
        await this.keys.deleteKey(stray.id);
        this.step('delete-stray-key', 'done', keySuffix(stray.id));
      }
    } catch (error) {
      this.warnings.push(`could not check for a key created despite the error: ${this.text(error)}`);
    }
  }

  private async verifyKey(created: NewAccessKey): Promise<KeyCheck> {
    const check = await waitForKey(this.keys, created, this.options.verify, { now: this.now, sleep: this.sleep, text: (error) => this.text(error) });
    this.verifyAttempts = check.attempts;
    if (check.ok) this.step('verify-key', 'done', `${keySuffix(created.id)} accepted after ${check.attempts} attempt(s)`);
    else this.step('verify-key', 'failed', `${keySuffix(created.id)}: ${check.detail} after ${check.attempts} attempt(s) in ${Math.round(check.waitedMs / 1000)} s`);
    return check;
  }

  private async retireOldKey(): Promise<RotationReport> {
    const old = this.old;
    if (!old) {
      this.step('delete-old-key', 'skipped', 'there was no old key');
      return this.finish('rotated');
    }
    if (old.status === 'Active') {
      try {
        await this.keys.setKeyStatus(old.id, 'Inactive');
        this.step('deactivate-old-key', 'done', keySuffix(old.id));
      } catch (error) {
        this.step('deactivate-old-key', 'failed', `${keySuffix(old.id)}: ${this.text(error)}`);
        return this.finish('incomplete', `the secrets hold the new key, but the old key ${keySuffix(old.id)} could not be deactivated (${this.text(error)}): deactivate and delete it by hand`);
      }
    } else {
      this.step('deactivate-old-key', 'skipped', `${keySuffix(old.id)} was already inactive`);
    }
    try {
      await this.keys.deleteKey(old.id);
      this.step('delete-old-key', 'done', keySuffix(old.id));
    } catch (error) {
      this.step('delete-old-key', 'failed', `${keySuffix(old.id)}: ${this.text(error)}`);
      return this.finish('incomplete', `the secrets hold the new key and the old key ${keySuffix(old.id)} is inactive, but deleting it failed (${this.text(error)}): delete it by hand`);
    }
    return this.finish('rotated');
  }

  private step(step: string, status: StepStatus, detail?: string): void {
    const entry: RotationStep = { step, status, ...(detail !== undefined ? { detail } : {}), at: iso(this.now()) };
    this.steps.push(entry);
    this.options.onStep?.(entry);
  }

  /** An error's message with the new secret key scrubbed out, should a server ever echo it. */
  private text(error: unknown): string {
    const message = error instanceof Error ? (error.name && error.name !== 'Error' && !error.message.startsWith(error.name) ? `${error.name}: ${error.message}` : error.message) : String(error);
    return scrub(message.split('\n', 1)[0]!, [this.created?.secret]);
  }

  private async finish(outcome: RotationOutcome, error?: string): Promise<RotationReport> {
    let keys: { key: string; status: KeyStatus }[] | undefined;
    try {
      keys = (await this.keys.listKeys()).map((k) => ({ key: keySuffix(k.id), status: k.status }));
    } catch {
      // Only for the report.
    }
    const created = this.created;
    return {
      ok: outcome === 'rotated' || outcome === 'dry-run',
      outcome,
      dryRun: this.options.dryRun ?? false,
      user: this.keys.user,
      repository: this.secrets.repository,
      startedAt: iso(this.startedAt),
      finishedAt: iso(this.now()),
      ...(this.old ? { oldKey: keySuffix(this.old.id) } : {}),
      ...(created ? { newKey: keySuffix(created.id) } : {}),
      ...(created?.createdAt ? { newKeyCreatedAt: iso(created.createdAt) } : {}),
      ...(this.deletedInactive ? { deletedInactiveKey: keySuffix(this.deletedInactive.id) } : {}),
      secrets: this.options.dryRun ? this.secretNames : [...this.written],
      ...(this.verifyAttempts !== undefined ? { verifyAttempts: this.verifyAttempts } : {}),
      ...(keys ? { keys } : {}),
      steps: [...this.steps],
      warnings: [...this.warnings],
      ...(error !== undefined ? { error: scrub(error, [created?.secret]) } : {}),
    };
  }
}

function iso(date: Date): string {
  return date.toISOString();
}
