/**
 * The pipeline's bucket: daily objects (`events/prod/`), staging, quarantine, the site mirror,
 * state and run records. Versioned, encrypted, private, TLS only; scratch prefixes expire.
 */
import { Construct } from 'constructs';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import { S3BucketLifecycleConfiguration, type S3BucketLifecycleConfigurationRule } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy/index.js';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning/index.js';
import { REJECTED_PREFIX, RUNS_PREFIX, STAGING_PREFIX } from '../../functions/core/bucket-layout.js';
import { policyDocument } from '../iam.js';

export interface BucketLifecycle {
  /**
   * Staged lines are merged by the next run (every 4 hours); what is left after this long is
   * a failure the alarms reported long ago. The expired object stays recoverable as a
   * noncurrent version for `noncurrentVersionExpiryDays` more.
   */
  readonly stagingExpiryDays: number;
  /** Quarantined malformed messages, kept for inspection. */
  readonly rejectedExpiryDays: number;
  /** Run records (plans, day outcomes, reports, failures). */
  readonly runsExpiryDays: number;
  /** Older versions of overwritten or deleted objects (every merge rewrites a daily object). */
  readonly noncurrentVersionExpiryDays: number;
  readonly abortIncompleteUploadDays: number;
}

export const DEFAULT_BUCKET_LIFECYCLE: BucketLifecycle = {
  stagingExpiryDays: 30,
  rejectedExpiryDays: 90,
  runsExpiryDays: 90,
  noncurrentVersionExpiryDays: 30,
  abortIncompleteUploadDays: 1,
};

export interface PipelineBucketProps {
  readonly bucketName: string;
  /** SSE-KMS with this key (and an S3 Bucket Key, to keep KMS requests down); SSE-S3 otherwise. */
  readonly kmsKeyArn?: string;
  /** The bucket exists already (the Python system's `logpublish`): import it rather than create it. */
  readonly adoptExisting: boolean;
  readonly lifecycle?: BucketLifecycle;
}

export class PipelineBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly publicAccessBlock: S3BucketPublicAccessBlock;

  constructor(scope: Construct, id: string, props: PipelineBucketProps) {
    super(scope, id);
    const lifecycle = props.lifecycle ?? DEFAULT_BUCKET_LIFECYCLE;

    this.bucket = new S3Bucket(this, 'bucket', {
      bucket: props.bucketName,
      // The bucket holds the only copy of the event history: never emptied by Terraform.
      forceDestroy: false,
    });
    if (props.adoptExisting) this.bucket.importFrom(props.bucketName);
    const bucket = this.bucket.id;

    new S3BucketVersioningA(this, 'versioning', {
      bucket,
      versioningConfiguration: { status: 'Enabled' },
    });

    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket,
      rule: [
        props.kmsKeyArn
          ? { applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: props.kmsKeyArn }, bucketKeyEnabled: true }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } },
      ],
    });

    this.publicAccessBlock = new S3BucketPublicAccessBlock(this, 'public-access-block', {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });

    // ACLs off: the bucket owner owns every object, and access is decided by policies alone.
    new S3BucketOwnershipControls(this, 'ownership', {
      bucket,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });

    const expire = (id: string, prefix: string, days: number): S3BucketLifecycleConfigurationRule => ({
      id,
      status: 'Enabled',
      filter: [{ prefix }],
      expiration: [{ days }],
    });
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket,
      rule: [
        expire('expire-staging', STAGING_PREFIX, lifecycle.stagingExpiryDays),
        expire('expire-rejected', REJECTED_PREFIX, lifecycle.rejectedExpiryDays),
        expire('expire-runs', RUNS_PREFIX, lifecycle.runsExpiryDays),
        {
          id: 'whole-bucket-housekeeping',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          noncurrentVersionExpiration: [{ noncurrentDays: lifecycle.noncurrentVersionExpiryDays }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: lifecycle.abortIncompleteUploadDays }],
          // Delete markers left alone once their last noncurrent version has expired.
          expiration: [{ expiredObjectDeleteMarker: true }],
        },
      ],
    });

    new S3BucketPolicy(this, 'policy', {
      bucket,
      policy: policyDocument([
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
        {
          Sid: 'DenyOutdatedTls',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
          Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } },
        },
      ]),
      // S3 refuses a policy while the public access block is still being applied.
      dependsOn: [this.publicAccessBlock],
    });
  }
}
