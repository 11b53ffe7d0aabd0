/**
 * The step dependencies of the embedded default, described as plain data so that the same
 * description builds them in this process or in the process a step runs in (to hold it to its
 * Lambda's memory): a directory bucket (or an S3 bucket over HTTP), the emulator's queue over
 * HTTP, and a publisher that commits to the local repository or goes through the local GitHub API.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { FsObjectStore } from '../../functions/adapters/fs-object-store.js';
import { S3ObjectStore } from '../../functions/adapters/s3-object-store.js';
import { LocalGitPublisher } from '../../functions/adapters/git-publisher.js';
import { GitHubPublisher } from '../../functions/adapters/github-publisher.js';
import { processLockHolders } from '../../functions/adapters/lock-holders.js';
import { SqsMessageQueue } from '../../functions/adapters/sqs-queue.js';
import type { ObjectStore } from '../../functions/core/object-store.js';
import type { Publisher } from '../../functions/core/publisher.js';
import type { LocalAwsClientConfig } from '../emulators/local-aws.js';
import type { PipelineConfig } from '../../functions/config/pipeline.js';
import type { CheckpointName, PipelineDeps } from '../../functions/pipeline/deps.js';
import type { Log } from '../../functions/core/log.js';

export type PublisherSpec =
  | { readonly kind: 'git'; readonly directory: string; readonly branch: string }
  | {
      readonly kind: 'github';
      readonly baseUrl: string;
      readonly token: string;
      readonly owner: string;
      readonly repo: string;
      readonly branch: string;
      /** The emulator's clock runs this many times faster than real time (its waits shrink alike). */
      readonly timeScale?: number;
    };

/**
 * The bucket: a directory (the embedded default), or an S3 bucket behind an endpoint (the
 * emulator's, or a test's wire proxy in front of it that answers chosen requests with S3's
 * failures).
 */
export type BucketSpec =
  | { readonly kind: 'directory'; readonly directory: string }
  | { readonly kind: 's3'; readonly clientConfig: LocalAwsClientConfig; readonly name: string };

export interface LocalDepsSpec {
  readonly bucket: BucketSpec;
  readonly queue?: { readonly clientConfig: LocalAwsClientConfig; readonly queueUrl: string };
  readonly publisher: PublisherSpec;
  readonly config: PipelineConfig;
  /** Publish the charts page (it needs esbuild, which every local machine has). */
  readonly charts: boolean;
}

export interface LocalDepsHooks {
  readonly log: Log;
  readonly checkpoint: (name: CheckpointName) => Promise<void>;
}

export interface LocalDeps {
  readonly deps: PipelineDeps;
  /** Frees the clients (sockets) the dependencies hold. */
  close(): void;
}

export async function createLocalDeps(spec: LocalDepsSpec, hooks: LocalDepsHooks): Promise<LocalDeps> {
  const bucket = openBucket(spec.bucket);
  const sqs = spec.queue ? new SQSClient(spec.queue.clientConfig) : undefined;
  const publisher = await createPublisher(spec.publisher);
  // Built on the spot here; baked into the bundle a step process runs (process-executor.ts).
  const chartsFiles = spec.charts ? (await import('../../functions/charts/prebuilt.js')).chartsFiles : undefined;
  const deps: PipelineDeps = {
    bucket: bucket.store,
    ...(sqs && spec.queue ? { queue: new SqsMessageQueue({ client: sqs, queueUrl: spec.queue.queueUrl }) } : {}),
    publisher,
    config: spec.config,
    log: hooks.log,
    clock: () => new Date(),
    checkpoint: hooks.checkpoint,
    lockHolders: processLockHolders,
    ...(chartsFiles ? { chartsFiles } : {}),
  };
  return {
    deps,
    close: () => {
      sqs?.destroy();
      bucket.close();
    },
  };
}

function openBucket(spec: BucketSpec): { readonly store: ObjectStore; close(): void } {
  if (spec.kind === 'directory') return { store: new FsObjectStore(spec.directory), close: () => undefined };
  const client = new S3Client(spec.clientConfig);
  return { store: new S3ObjectStore({ client, bucket: spec.name }), close: () => client.destroy() };
}

async function createPublisher(spec: PublisherSpec): Promise<Publisher> {
  if (spec.kind === 'git') return LocalGitPublisher.open(spec.directory, { branch: spec.branch });
  return new GitHubPublisher({
    owner: spec.owner,
    repo: spec.repo,
    branch: spec.branch,
    baseUrl: spec.baseUrl,
    token: spec.token,
    ...(spec.timeScale !== undefined ? { timeScale: spec.timeScale } : {}),
  });
}
