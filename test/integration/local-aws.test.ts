/**
 * The launcher's one correction to moto: bucket-policy statements with a Condition are neutral
 * (as the TLS-only Deny is on AWS for a TLS request), unconditional ones still bite. If a moto
 * upgrade or a launcher change loses the correction, these fail.
 */
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, PutBucketPolicyCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateUserCommand, ListServiceSpecificCredentialsCommand } from '@aws-sdk/client-iam';
import { correctionInEffect, startLocalAws } from '../../src/local/moto.js';
import { renderTemplate } from '../../src/templates.js';
import { localClients, resetLocal } from '../support/helpers.js';

const aws = localClients();
const Bucket = 'correction-check-bucket';

beforeAll(async () => {
  await resetLocal();
  await aws.s3.send(new CreateBucketCommand({ Bucket }));
});

describe('the local AWS launcher', () => {
  it("answers IAM's ListServiceSpecificCredentials as IAM does (moto 5.2.1 lacks it): empty for a user, NoSuchEntity for none", async () => {
    await aws.iam.send(new CreateUserCommand({ UserName: 'credentials-check' }));
    expect((await aws.iam.send(new ListServiceSpecificCredentialsCommand({ UserName: 'credentials-check' }))).ServiceSpecificCredentials).toEqual([]);
    await expect(aws.iam.send(new ListServiceSpecificCredentialsCommand({ UserName: 'nobody-here' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
  });

  it('reports the correction in effect', async () => {
    expect(await correctionInEffect(process.env.AWS_ENDPOINT_URL as string)).toBe(true);
  });

  it("lets objects be written and read under bridge's real bucket policy (TLS-only and key-pinning denies)", async () => {
    const policy = renderTemplate('bucket-policy', { BucketArn: `arn:aws:s3:::${Bucket}`, KeyArn: 'arn:aws:kms:us-east-1:123456789012:key/x' });
    await aws.s3.send(new PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify(policy) }));
    await aws.s3.send(new PutObjectCommand({ Bucket, Key: 'raw/a.json', Body: '{"a":1}' }));
    const body = await (await aws.s3.send(new GetObjectCommand({ Bucket, Key: 'raw/a.json' }))).Body?.transformToString();
    expect(body).toBe('{"a":1}');
  });

  it('still enforces an unconditional Deny in a bucket policy', async () => {
    await aws.s3.send(
      new PutBucketPolicyCommand({
        Bucket,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:DeleteObject', Resource: `arn:aws:s3:::${Bucket}/*` }],
        }),
      }),
    );
    const error = await aws.s3.send(new DeleteObjectCommand({ Bucket, Key: 'raw/a.json' })).catch((e: unknown) => e);
    expect((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(403);
  });

  it('starts on a free loopback port and stops cleanly', async () => {
    const local = await startLocalAws();
    expect(local.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${local.endpoint}/moto-api/`)).ok).toBe(true);
    await local.stop();
    expect(local.process.exitCode !== null || local.process.signalCode !== null).toBe(true);
    await expect(fetch(`${local.endpoint}/moto-api/`)).rejects.toThrow();
  });

  it('keeps answering while the process that started it is blocked (its request log never fills a pipe)', async () => {
    const local = await startLocalAws();
    try {
      // 800 requests log well over a pipe's 64 KB while this process's event loop is held by spawnSync.
      const script = `for (let i = 0; i < 800; i++) { const r = await fetch('${local.endpoint}/moto-api/'); await r.arrayBuffer(); } console.log('done');`;
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
      expect(result.stdout.trim(), result.stderr).toBe('done');
    } finally {
      await local.stop();
    }
  });

  it('says clearly when python3 is missing', async () => {
    await expect(startLocalAws({ python: 'python3-does-not-exist' })).rejects.toThrow(/python3-does-not-exist was not found: the local AWS needs Python 3 with moto/);
  });
});
