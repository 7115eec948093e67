/**
 * The data in the bucket, which only teardown --delete-data touches: counting the object versions
 * and delete markers, stopping new writes, and emptying the bucket.
 */
import { DeleteObjectsCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { BridgeError } from '../errors.js';
import type { PolicyDocument } from '../policy.js';
import type { StackContext } from './types.js';

/** DeleteObjects calls in flight at once: S3 takes about 3,500 deletes a second per prefix. */
const PARALLEL_DELETES = 4;

/**
 * Every object version and delete marker, in batches of 1000 (DeleteObjects' limit) sent while the
 * next page is listed, a few at a time, with progress. Listing goes on from its markers, which stay
 * valid as the versions behind them go; a last look makes sure nothing was left.
 */
export async function emptyBucket(ctx: StackContext, progress: (message: string) => void): Promise<number> {
  const Bucket = ctx.names.bucket;
  let deleted = 0;
  const deleteBatch = async (objects: { Key: string; VersionId?: string }[]) => {
    const result = await ctx.aws.s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: objects, Quiet: true } }));
    if (result.Errors?.length) {
      throw new BridgeError(`could not delete ${result.Errors.length} object versions from ${Bucket} (${result.Errors[0]?.Code}: ${result.Errors[0]?.Message}); run teardown again`);
    }
    deleted += objects.length;
    progress(`deleted ${deleted} object versions and delete markers`);
  };
  for (;;) {
    const inFlight = new Set<Promise<void>>();
    let failure: unknown = null;
    let found = 0;
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    do {
      const page = await ctx.aws.s3.send(new ListObjectVersionsCommand({ Bucket, MaxKeys: 1000, KeyMarker, VersionIdMarker }));
      const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key as string, VersionId: v.VersionId }));
      found += objects.length;
      if (objects.length > 0) {
        const batch: Promise<void> = deleteBatch(objects)
          .catch((error: unknown) => {
            failure ??= error;
          })
          .finally(() => inFlight.delete(batch));
        inFlight.add(batch);
        if (inFlight.size >= PARALLEL_DELETES) await Promise.race(inFlight);
      }
      KeyMarker = page.IsTruncated && !failure ? page.NextKeyMarker : undefined;
      VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (KeyMarker);
    await Promise.all(inFlight);
    if (failure) throw failure;
    if (found === 0) return deleted;
  }
}

export const TEARDOWN_DENY_SID = 'TeardownDenyWrites';

/** The live bucket policy (or none) with one more statement: nobody may write objects. */
export function withWritesDenied(policy: PolicyDocument | null, bucketArn: string): PolicyDocument {
  const kept = (policy?.Statement ?? []).filter((s) => s.Sid !== TEARDOWN_DENY_SID);
  return {
    Version: policy?.Version ?? '2012-10-17',
    Statement: [...kept, { Sid: TEARDOWN_DENY_SID, Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `${bucketArn}/*` }],
  };
}

/** How many object versions and delete markers the bucket holds; with `anyOnly`, 1 when it holds any (one small listing). */
export async function countVersions(ctx: StackContext, anyOnly = false): Promise<number> {
  if (anyOnly) {
    const page = await ctx.aws.s3.send(new ListObjectVersionsCommand({ Bucket: ctx.names.bucket, MaxKeys: 1 }));
    return (page.Versions?.length ?? 0) + (page.DeleteMarkers?.length ?? 0) > 0 ? 1 : 0;
  }
  let count = 0;
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  do {
    const page = await ctx.aws.s3.send(new ListObjectVersionsCommand({ Bucket: ctx.names.bucket, KeyMarker, VersionIdMarker }));
    count += (page.Versions?.length ?? 0) + (page.DeleteMarkers?.length ?? 0);
    KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (KeyMarker);
  return count;
}
