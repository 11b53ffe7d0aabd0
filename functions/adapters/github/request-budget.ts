/**
 * What one publish may spend: GitHub's secondary limit allows 500 content-creating requests an
 * hour (80 a minute, which the throttling plugin's spacing of writes keeps under), and a Lambda
 * has minutes. A publish asks before each file whether it can still finish the commit after
 * it; when it cannot, it commits what it has and leaves the rest for the next run.
 */
import type { PublishRequests, PublishStop } from '../../core/publisher.js';

export interface PublishBudget {
  /** Content-creating requests one publish may make, the commit and ref update included. */
  readonly maxContentRequests: number;
  /** Seconds after which a publish takes no further file (it always writes at least one). */
  readonly maxSeconds: number;
}

/** Below GitHub's 500 an hour, leaving room for other writers (key rotation, a person). */
export const DEFAULT_PUBLISH_BUDGET: PublishBudget = { maxContentRequests: 400, maxSeconds: 600 };
/** A blob, a tree, a commit and a ref update: the least that publishes one large file. */
export const MIN_CONTENT_REQUESTS = 4;
/** The commit and the ref update that end every publish. */
export const COMMIT_REQUESTS = 2;

const CONTENT_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

export class RequestBudget {
  private total = 0;
  private content = 0;
  private largestBody = 0;
  private startedAt = 0;

  constructor(
    readonly budget: PublishBudget,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(budget.maxContentRequests) || budget.maxContentRequests < MIN_CONTENT_REQUESTS) {
      throw new Error(`maxContentRequests must be an integer of at least ${MIN_CONTENT_REQUESTS} (a blob, a tree, a commit and a ref update)`);
    }
    if (!(budget.maxSeconds >= 0)) throw new Error('maxPublishSeconds must be zero or more');
  }

  /** Starts a publish: counts and the clock from zero. */
  start(): void {
    this.total = 0;
    this.content = 0;
    this.largestBody = 0;
    this.startedAt = this.now();
  }

  /** Every request on the wire, as the client sends it. */
  record(method: string, bodyBytes: number): void {
    this.total++;
    if (CONTENT_METHODS.has(method)) this.content++;
    this.largestBody = Math.max(this.largestBody, bodyBytes);
  }

  get requests(): PublishRequests {
    return { total: this.total, contentCreating: this.content, largestBodyBytes: this.largestBody };
  }

  /** Whether `more` content-creating requests, and then the commit, still fit. */
  allows(more: number): boolean {
    return this.content + more + COMMIT_REQUESTS <= this.budget.maxContentRequests;
  }

  /** Time is up, once something was written: a publish always makes progress. */
  timeIsUp(): boolean {
    return this.content > 0 && this.now() - this.startedAt >= this.budget.maxSeconds * 1000;
  }

  stop(limit: PublishStop['limit'], published: number, total: number): PublishStop {
    const done = `published ${published} of ${total} paths`;
    return limit === 'content-requests'
      ? {
          limit,
          message:
            `${done}: the next one would pass the budget of ${this.budget.maxContentRequests} content-creating GitHub requests per publish ` +
            `(maxContentRequests; GitHub allows 500 an hour); the rest stays pending for the next run`,
        }
      : {
          limit,
          message: `${done}: the publish ran for its ${this.budget.maxSeconds} s (maxPublishSeconds); the rest stays pending for the next run`,
        };
  }
}
