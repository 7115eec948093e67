/**
 * What `bridge adopt` does once the plan is confirmed, beyond setup: copy the old bucket's current
 * objects into the new bucket (under the stack key, each verified by its SHA-256 as S3 holds it;
 * already copied ones are skipped, so a re-run converges), and retire what the plan names of the old
 * stack (each step reversible; old data is never touched).
 */
import { createHash } from 'node:crypto';
import { CreateDeploymentCommand, GetResourcesCommand, GetStagesCommand, UpdateMethodCommand } from '@aws-sdk/client-api-gateway';
import { DetachRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { DeleteBucketPolicyCommand, GetBucketPolicyCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutBucketPolicyCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { BridgeError, awsErrorName } from '../errors.js';
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
  const there = await s3.send(new HeadObjectCommand({ Bucket, Key, ChecksumMode: 'ENABLED' })).catch((error: unknown) => {
    if (awsErrorName(error) === 'NotFound' || awsErrorName(error) === 'NoSuchKey') return null;
    throw error;
  });
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
      Metadata: { 'adopted-from': from, sha256: hex, trigger: 'adopt' },
    }),
  );
  const head = await s3.send(new HeadObjectCommand({ Bucket, Key, ChecksumMode: 'ENABLED' }));
  if (head.ChecksumSHA256 !== base64) throw new BridgeError(`the copy of ${from} at ${to} does not hold the same SHA-256 (S3 says ${head.ChecksumSHA256 ?? 'none'}): nothing was deleted; run adopt again`);
  return { from, to, bytes: body.length, sha256: hex, skipped: false };
}

/** One retirement step, as the plan says it; each is reversible as its `undo` says. */
export async function retire(ctx: StackContext, step: Retirement): Promise<void> {
  const d = step.detail;
  switch (step.kind) {
    case 'method-auth': {
      const restApiId = d.restApiId as string;
      const resource = ((await ctx.aws.apigateway.send(new GetResourcesCommand({ restApiId, limit: 500 }))).items ?? []).find((r) => r.path === d.path);
      if (!resource) return;
      await ctx.aws.apigateway.send(
        new UpdateMethodCommand({ restApiId, resourceId: resource.id as string, httpMethod: d.httpMethod as string, patchOperations: [{ op: 'replace', path: '/authorizationType', value: 'AWS_IAM' }] }),
      );
      // A method change reaches callers only with a new deployment of each stage.
      for (const stage of (await ctx.aws.apigateway.send(new GetStagesCommand({ restApiId }))).item ?? []) {
        await ctx.aws.apigateway.send(new CreateDeploymentCommand({ restApiId, stageName: stage.stageName, description: 'bridge adopt --retire-old: AWS_IAM required' }));
      }
      return;
    }
    case 'env-variable': {
      const FunctionName = step.resource;
      const current = (await ctx.aws.lambda.send(new GetFunctionConfigurationCommand({ FunctionName }))).Environment?.Variables ?? {};
      if (!(d.variable as string in current)) return;
      const { [d.variable as string]: _removed, ...rest } = current;
      await ctx.aws.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName, Environment: { Variables: rest } }));
      return;
    }
    case 'detach-policy':
      await ctx.aws.iam.send(new DetachRolePolicyCommand({ RoleName: d.role, PolicyArn: d.policyArn })).catch((error: unknown) => {
        if (awsErrorName(error) !== 'NoSuchEntity' && awsErrorName(error) !== 'NoSuchEntityException') throw error;
      });
      return;
    case 'bucket-statement': {
      const Bucket = d.bucket as string;
      const policy = await ctx.aws.s3.send(new GetBucketPolicyCommand({ Bucket })).catch(() => null);
      if (!policy?.Policy) return;
      const document = parsePolicy(policy.Policy);
      const kept = document.Statement.filter((st) => JSON.stringify(st) !== d.statement);
      if (kept.length === document.Statement.length) return;
      if (kept.length === 0) await ctx.aws.s3.send(new DeleteBucketPolicyCommand({ Bucket }));
      else await ctx.aws.s3.send(new PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify({ ...document, Statement: kept }) }));
      return;
    }
  }
}
