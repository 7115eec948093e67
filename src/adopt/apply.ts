/**
 * What `bridge adopt` does once the plan is confirmed, beyond setup: copy the old bucket's current
 * objects into the new bucket (under the stack key, each verified by its SHA-256 as S3 holds it;
 * already copied ones are skipped, so a re-run converges), and retire what the plan names of the old
 * stack (each step reversible; old data is never touched).
 */
import { createHash } from 'node:crypto';
import { CreateDeploymentCommand, GetStagesCommand, UpdateMethodCommand } from '@aws-sdk/client-api-gateway';
import { DetachRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { DeleteBucketPolicyCommand, GetBucketPolicyCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutBucketPolicyCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { BridgeError, unlessNotFound } from '../errors.js';
import { apiResources } from '../audit/hand-built/discover.js';
import { parsePolicy } from '../policy.js';
import type { StackContext } from '../resources/types.js';
import { adoptedKey, type Retirement } from './plan.js';

export interface OldObject {
  bucket: string;
  key: string;
  size: number;
}

/** The current objects of the old buckets (not their older versions: those stay where they are). */
export async function currentObjects(ctx: StackContext, buckets: string[]): Promise<OldObject[]> {
  const found: OldObject[] = [];
  for (const Bucket of buckets) {
    let ContinuationToken: string | undefined;
    do {
      const page = await ctx.aws.s3.send(new ListObjectsV2Command({ Bucket, ContinuationToken }));
      found.push(...(page.Contents ?? []).map((o) => ({ bucket: Bucket, key: o.Key as string, size: o.Size ?? 0 })));
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }
  return found;
}

export interface CopiedObject {
  from: string;
  to: string;
  bytes: number;
  sha256: string;
  /** Already there from an earlier run, with the same SHA-256. */
  skipped: boolean;
}

/** One object, read, written under the stack key with its SHA-256 (S3 refuses a body that differs), and checked as S3 holds it. */
export async function copyVerified(ctx: StackContext, object: OldObject): Promise<CopiedObject> {
  const s3 = ctx.aws.s3;
  const Bucket = ctx.names.bucket;
  const Key = adoptedKey(ctx.config.dataPrefix, object.bucket, object.key);
  const from = `s3://${object.bucket}/${object.key}`;
  const to = `s3://${Bucket}/${Key}`;
  const body = await (await s3.send(new GetObjectCommand({ Bucket: object.bucket, Key: object.key }))).Body?.transformToByteArray();
  if (!body) throw new BridgeError(`could not read ${from}: S3 answered no body`);
  const digest = createHash('sha256').update(body);
  const base64 = digest.copy().digest('base64');
  const hex = digest.digest('hex');
  const there = await unlessNotFound(s3.send(new HeadObjectCommand({ Bucket, Key, ChecksumMode: 'ENABLED' })), 'NoSuchKey');
  if (there?.ChecksumSHA256 === base64) return { from, to, bytes: body.length, sha256: hex, skipped: true };
  await s3.send(
    new PutObjectCommand({
      Bucket,
      Key,
      Body: body,
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: ctx.refs.keyArn,
      BucketKeyEnabled: true,
      ChecksumAlgorithm: 'SHA256',
      ChecksumSHA256: base64,
      // Metadata travels as HTTP headers: ASCII only, so the old key is percent-encoded.
      Metadata: { 'adopted-from': encodeURI(from), sha256: hex, trigger: 'adopt' },
    }),
  );
  const head = await s3.send(new HeadObjectCommand({ Bucket, Key, ChecksumMode: 'ENABLED' }));
  if (head.ChecksumSHA256 !== base64) throw new BridgeError(`the copy of ${from} at ${to} does not hold the same SHA-256 (S3 says ${head.ChecksumSHA256 ?? 'none'}): nothing was deleted; run adopt again`);
  return { from, to, bytes: body.length, sha256: hex, skipped: false };
}

/**
 * One retirement step, as the plan says it; each is reversible as its `undo` says. False where
 * there was nothing left to do (an earlier run did it); a failure throws.
 */
export async function retire(ctx: StackContext, step: Retirement): Promise<boolean> {
  const d = step.detail;
  switch (step.kind) {
    case 'method-auth': {
      const restApiId = d.restApiId as string;
      const resource = (await apiResources(ctx, restApiId)).find((r) => r.path === d.path);
      if (!resource) throw new BridgeError(`the method ${d.httpMethod} ${d.path} of API ${restApiId} is gone since the plan: nothing to retire there; run adopt --dry-run again`);
      await ctx.aws.apigateway.send(
        new UpdateMethodCommand({ restApiId, resourceId: resource.id as string, httpMethod: d.httpMethod as string, patchOperations: [{ op: 'replace', path: '/authorizationType', value: 'AWS_IAM' }] }),
      );
      // A method change reaches callers only with a new deployment of each stage.
      for (const stage of (await ctx.aws.apigateway.send(new GetStagesCommand({ restApiId }))).item ?? []) {
        await ctx.aws.apigateway.send(new CreateDeploymentCommand({ restApiId, stageName: stage.stageName, description: 'bridge adopt --retire-old: AWS_IAM required' }));
      }
      return true;
    }
    case 'env-variable': {
      const FunctionName = step.resource;
      const current = (await ctx.aws.lambda.send(new GetFunctionConfigurationCommand({ FunctionName }))).Environment?.Variables ?? {};
      if (!(d.variable as string in current)) return false;
      const { [d.variable as string]: _removed, ...rest } = current;
      await ctx.aws.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName, Environment: { Variables: rest } }));
      return true;
    }
    case 'detach-policy':
      return (await unlessNotFound(ctx.aws.iam.send(new DetachRolePolicyCommand({ RoleName: d.role, PolicyArn: d.policyArn })))) !== null;
    case 'bucket-statement': {
      const Bucket = d.bucket as string;
      const policy = await unlessNotFound(ctx.aws.s3.send(new GetBucketPolicyCommand({ Bucket })), 'NoSuchBucketPolicy');
      if (!policy?.Policy) return false;
      const document = parsePolicy(policy.Policy);
      const kept = document.Statement.filter((st) => JSON.stringify(st) !== d.statement);
      if (kept.length === document.Statement.length) return false;
      if (kept.length === 0) await ctx.aws.s3.send(new DeleteBucketPolicyCommand({ Bucket }));
      else await ctx.aws.s3.send(new PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify({ ...document, Statement: kept }) }));
      return true;
    }
  }
}
