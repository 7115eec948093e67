/**
 * The data bucket: private (all four public-access blocks, ACLs off), versioned, SSE-KMS with the
 * stack key and S3 Bucket Key, a TLS-only / right-key-only bucket policy, and a lifecycle rule
 * that bounds what old versions cost. Reading and changing it live here; what it should be and
 * what differs, pure, in bucket-state.ts; its data (counted, emptied) in bucket-data.ts.
 */
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  ListBucketsCommand,
  ListObjectVersionsCommand,
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type BucketLocationConstraint,
  type S3Client,
} from '@aws-sdk/client-s3';
import { AdoptableError, NotOursError, UsageError, awsErrorName, httpStatusOf } from '../errors.js';
import { STACK_TAG_KEY, defaultBucketName, stackKeyReferences } from '../names.js';
import { parsePolicy } from '../policy.js';
import { untilKeyVisible } from '../retry.js';
import { renderTemplate } from '../templates.js';
import { emptyBucket, withWritesDenied } from './bucket-data.js';
import { ALL_BLOCKED, LIFECYCLE_RULE_ID, diffBucket, intendedLifecycleRule, type BucketIntended, type BucketLive } from './bucket-state.js';
import { tagsOf } from './tag-search.js';
import { isOurs, stackTags, tagList, tagRecord } from './tags.js';
import { KNOWN_AFTER_APPLY, type Resource, type StackContext } from './types.js';

/** Runs a read that answers "not configured" with an error of one of these names (and only these). */
async function orAbsent<T>(read: Promise<T>, ...absent: string[]): Promise<T | null> {
  try {
    return await read;
  } catch (error) {
    if (absent.includes(awsErrorName(error))) return null;
    throw error;
  }
}

/** HeadBucket: absent, ours to read, owned by another account, or in another region. */
async function probeBucket(ctx: StackContext): Promise<boolean> {
  const bucket = ctx.names.bucket;
  try {
    const head = await ctx.aws.s3.send(new HeadBucketCommand({ Bucket: bucket }));
    if (head.BucketRegion && head.BucketRegion !== ctx.config.region) {
      throw new UsageError(`bucket '${bucket}' is in ${head.BucketRegion}, not ${ctx.config.region}: use --region ${head.BucketRegion} or another --bucket`);
    }
    return true;
  } catch (error) {
    const status = httpStatusOf(error);
    if (status === 404 || awsErrorName(error) === 'NotFound' || awsErrorName(error) === 'NoSuchBucket') return false;
    if (status === 403) {
      throw new UsageError(`bucket name '${bucket}' belongs to another AWS account or is not readable by you: choose another name with --bucket`);
    }
    if (status === 301) {
      throw new UsageError(`bucket '${bucket}' exists in another region than ${ctx.config.region}: use the right --region or another --bucket`);
    }
    throw error;
  }
}

/** How new an untagged bucket of the stack's name may be for --adopt to take it. */
const ADOPTABLE_FOR_MS = 24 * 3_600_000;

/**
 * An untagged bucket of exactly the stack's derived name that is empty and was created in the
 * last day: what a setup stopped between CreateBucket and PutBucketTagging leaves (where tags at
 * creation are not available). Returns when it was created, or null when it is anything else.
 */
async function leftByInterruptedSetup(ctx: StackContext): Promise<string | null> {
  const Bucket = ctx.names.bucket;
  if (ctx.config.bucket && ctx.config.bucket !== defaultBucketName(ctx.config.stack, ctx.names.account, ctx.config.region)) return null;
  let listed, versions;
  try {
    [listed, versions] = await Promise.all([
      ctx.aws.s3.send(new ListBucketsCommand({ Prefix: Bucket })),
      ctx.aws.s3.send(new ListObjectVersionsCommand({ Bucket, MaxKeys: 1 })),
    ]);
  } catch {
    // Not allowed to tell (s3:ListAllMyBuckets, s3:ListBucketVersions): then it is not proven ours.
    return null;
  }
  if ((versions.Versions?.length ?? 0) + (versions.DeleteMarkers?.length ?? 0) > 0) return null;
  const created = listed.Buckets?.find((b) => b.Name === Bucket)?.CreationDate;
  if (!created || Date.now() - created.getTime() > ADOPTABLE_FOR_MS) return null;
  return created.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The region of each bucket (by ARN), 'unknown' where it cannot be told: a tagged bucket in another
 * region is that region's stack of the same name (S3 ARNs carry no region, IAM-like).
 */
export async function bucketRegions(ctx: StackContext, arns: string[]): Promise<Record<string, string>> {
  const regions: Record<string, string> = {};
  await Promise.all(
    arns.map(async (arn) => {
      const Bucket = arn.replace(/^arn:[^:]+:s3:::/, '');
      try {
        // us-east-1 answers with no LocationConstraint at all.
        regions[arn] = (await ctx.aws.s3.send(new GetBucketLocationCommand({ Bucket }))).LocationConstraint || 'us-east-1';
      } catch {
        regions[arn] = 'unknown';
      }
    }),
  );
  return regions;
}

export async function readBucket(ctx: StackContext): Promise<BucketLive | null> {
  if (!(await probeBucket(ctx))) return null;
  const s3 = ctx.aws.s3;
  const Bucket = ctx.names.bucket;
  const tags = await tagsOf(ctx, ctx.names.bucketArn, async () =>
    tagRecord((await orAbsent(s3.send(new GetBucketTaggingCommand({ Bucket })), 'NoSuchTagSet', 'NoSuchTagSetError'))?.TagSet),
  );
  if (!isOurs(tags, ctx.config.stack)) {
    const left = tags[STACK_TAG_KEY] === undefined ? await leftByInterruptedSetup(ctx) : null;
    if (!left) throw new NotOursError('S3 bucket', Bucket, 'Choose another name with --bucket, or another --stack.');
    if (!ctx.config.adopt) throw new AdoptableError('S3 bucket', Bucket, `It is empty and was created ${left}`);
  }
  return { tags, ...(await readBucketSettings(s3, Bucket)) };
}

/** A bucket's settings as the audit judges them, any bucket's (a stack built by hand too). */
export async function readBucketSettings(s3: S3Client, Bucket: string): Promise<Omit<BucketLive, 'tags'>> {
  const [pab, ownership, versioning, encryption, policy, lifecycle] = await Promise.all([
    orAbsent(s3.send(new GetPublicAccessBlockCommand({ Bucket })), 'NoSuchPublicAccessBlockConfiguration'),
    orAbsent(s3.send(new GetBucketOwnershipControlsCommand({ Bucket })), 'OwnershipControlsNotFoundError'),
    s3.send(new GetBucketVersioningCommand({ Bucket })),
    orAbsent(s3.send(new GetBucketEncryptionCommand({ Bucket })), 'ServerSideEncryptionConfigurationNotFoundError'),
    orAbsent(s3.send(new GetBucketPolicyCommand({ Bucket })), 'NoSuchBucketPolicy'),
    orAbsent(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket })), 'NoSuchLifecycleConfiguration'),
  ]);
  const block = pab?.PublicAccessBlockConfiguration;
  const rule = encryption?.ServerSideEncryptionConfiguration?.Rules?.[0];
  return {
    publicAccessBlock: block
      ? {
          BlockPublicAcls: block.BlockPublicAcls === true,
          IgnorePublicAcls: block.IgnorePublicAcls === true,
          BlockPublicPolicy: block.BlockPublicPolicy === true,
          RestrictPublicBuckets: block.RestrictPublicBuckets === true,
        }
      : null,
    ownership: ownership?.OwnershipControls?.Rules?.[0]?.ObjectOwnership ?? null,
    versioning: versioning.Status ?? null,
    encryption: rule?.ApplyServerSideEncryptionByDefault
      ? {
          algorithm: rule.ApplyServerSideEncryptionByDefault.SSEAlgorithm ?? '',
          keyId: rule.ApplyServerSideEncryptionByDefault.KMSMasterKeyID,
          bucketKey: rule.BucketKeyEnabled === true,
        }
      : null,
    policy: policy?.Policy ? parsePolicy(policy.Policy) : null,
    lifecycle: lifecycle?.Rules ?? [],
  };
}

export function bucketIntended(ctx: StackContext): BucketIntended {
  const keyArn = ctx.refs.keyArn ?? KNOWN_AFTER_APPLY;
  return {
    tags: stackTags(ctx.config.stack),
    publicAccessBlock: ALL_BLOCKED,
    ownership: 'BucketOwnerEnforced',
    versioning: 'Enabled',
    encryption: { algorithm: 'aws:kms', keyId: keyArn, bucketKey: true },
    keyAliases: stackKeyReferences(ctx.names, { id: ctx.refs.keyId }),
    policy: renderTemplate('bucket-policy', { BucketArn: ctx.names.bucketArn, KeyArn: keyArn }),
    lifecycleRule: intendedLifecycleRule(ctx.config.noncurrentVersionDays),
  };
}

async function createBucket(ctx: StackContext, intended: BucketIntended): Promise<void> {
  const Bucket = ctx.names.bucket;
  const region = ctx.config.region;
  const create = (tags: boolean) => {
    // us-east-1 is the one region that takes no LocationConstraint. Tags at creation make the
    // bucket ours atomically, so an interrupted run never leaves an untagged bucket behind.
    const configuration = {
      ...(region === 'us-east-1' ? {} : { LocationConstraint: region as BucketLocationConstraint }),
      ...(tags ? { Tags: tagList(intended.tags) } : {}),
    };
    // An empty <CreateBucketConfiguration/> is MalformedXML to S3: leave the element out.
    const withConfiguration = Object.keys(configuration).length > 0 ? { CreateBucketConfiguration: configuration } : {};
    return ctx.aws.s3.send(new CreateBucketCommand({ Bucket, ObjectOwnership: 'BucketOwnerEnforced', ...withConfiguration }));
  };
  try {
    try {
      await create(true);
    } catch (error) {
      // Tagging at creation needs s3:TagResource; without it, create untagged and tag at once
      // (apply's next step), as Terraform's provider falls back.
      if (awsErrorName(error) !== 'AccessDenied') throw error;
      await create(false);
    }
  } catch (error) {
    if (awsErrorName(error) === 'BucketAlreadyExists') {
      throw new UsageError(`bucket name '${Bucket}' is already taken by another AWS account: choose another name with --bucket`);
    }
    if (awsErrorName(error) !== 'BucketAlreadyOwnedByYou') throw error;
  }
}

export const bucket: Resource<BucketLive, BucketIntended> = {
  kind: 'bucket',
  title: 'S3 bucket',
  dependsOn: ['kms-key'],
  ownership: {
    of: 'stack',
    retire(live, options) {
      if (!live) return { action: 'absent' };
      if (options.bucketVersions > 0 && !options.deleteData) {
        return { action: 'retain', reason: `holds ${options.bucketVersions} object versions and delete markers (--delete-data removes them)` };
      }
      return { action: 'remove' };
    },
    async destroy(ctx, live, options) {
      const Bucket = ctx.names.bucket;
      let note: string | undefined;
      if (options.bucketVersions > 0) {
        // First stop new writes, so emptying the bucket is not a race with the function. Added to
        // the policy there is, so TLS-only and the key pinning hold while the data is still there.
        await ctx.aws.s3.send(new PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify(withWritesDenied(live.policy, ctx.names.bucketArn)) }));
        note = `${await emptyBucket(ctx, ctx.progress)} object versions and delete markers deleted`;
      }
      await ctx.aws.s3.send(new DeleteBucketCommand({ Bucket }));
      return note;
    },
  },
  name: (ctx) => ctx.names.bucket,
  read: (ctx) => readBucket(ctx),
  intended: bucketIntended,
  diff: diffBucket,
  async apply(ctx, live, intended, changes) {
    const s3 = ctx.aws.s3;
    const Bucket = ctx.names.bucket;
    const fields = new Set(changes.map((c) => c.field));
    if (!live) await createBucket(ctx, intended);
    if (fields.has('tags')) {
      await s3.send(new PutBucketTaggingCommand({ Bucket, Tagging: { TagSet: tagList({ ...(live?.tags ?? {}), ...intended.tags }) } }));
    }
    // Lock the doors first, then the rest.
    if (fields.has('public-access-block')) {
      await s3.send(new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: intended.publicAccessBlock }));
    }
    if (fields.has('object-ownership')) {
      await s3.send(new PutBucketOwnershipControlsCommand({ Bucket, OwnershipControls: { Rules: [{ ObjectOwnership: intended.ownership }] } }));
    }
    if (fields.has('encryption')) {
      // S3 does not check the key here today, but the call names a key KMS may not show yet.
      await untilKeyVisible(ctx, () => s3.send(
        new PutBucketEncryptionCommand({
          Bucket,
          ServerSideEncryptionConfiguration: {
            Rules: [
              {
                ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: ctx.refs.keyArn },
                BucketKeyEnabled: true,
              },
            ],
          },
        }),
      ), 'S3');
    }
    if (fields.has('versioning')) {
      await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    }
    if (fields.has('policy')) {
      await s3.send(new PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify(intended.policy) }));
    }
    if (fields.has('lifecycle')) {
      // Rules a user added are kept; ours is replaced.
      const others = (live?.lifecycle ?? []).filter((rule) => rule.ID !== LIFECYCLE_RULE_ID);
      await s3.send(
        new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules: [...others, intended.lifecycleRule] } }),
      );
    }
  },
  describe: (ctx) => ({ name: ctx.names.bucket, arn: ctx.names.bucketArn }),
};

