/**
 * The execution role's policy, enforced for real: moto checks identity policies for S3 once
 * enforcement is on. Setup runs first as an unrestricted caller; the role's credentials are taken
 * before enforcement (moto cannot check a Service principal's trust under enforcement).
 * A server of its own, since enforcement is server-wide.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { enforceIam, startLocalAws, type LocalAws } from '../../src/local/moto.js';
import { LOCAL_ACCOUNT, TEST_SOURCE_KEY, runCli, setupArgs } from '../support/helpers.js';

const stack = 'enforced';
const Bucket = `${stack}-${LOCAL_ACCOUNT}-us-east-1`;
let local: LocalAws;
let asRole: S3Client;
let asOperator: S3Client;
const keyFile = join(mkdtempSync(join(tmpdir(), 'bridge-enforced-')), 'operator.credentials');

async function denied(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'the call should have been denied').not.toBeNull();
  expect((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(403);
  // A 403 for a bad signature would prove nothing about the policy.
  expect((error as Error).name).toBe('AccessDenied');
}

beforeAll(async () => {
  local = await startLocalAws({ env: { INITIAL_NO_AUTH_ACTION_COUNT: '100000' } });
  const run = await runCli([...setupArgs(stack, ['--operator-access-key-file', keyFile]), '--endpoint-url', local.endpoint], { env: { TEST_SOURCE_KEY } });
  expect(run.code, run.stderr).toBe(0);
  // As the unrestricted caller: one object outside the data prefix, for the operators' test.
  const admin = new S3Client({ region: 'us-east-1', endpoint: local.endpoint, forcePathStyle: true });
  await admin.send(new PutObjectCommand({ Bucket, Key: 'outside/notes.json', Body: '{}' }));
  const text = readFileSync(keyFile, 'utf8');
  asOperator = new S3Client({
    region: 'us-east-1',
    endpoint: local.endpoint,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: {
      accessKeyId: /aws_access_key_id = (\S+)/.exec(text)?.[1] as string,
      secretAccessKey: /aws_secret_access_key = (\S+)/.exec(text)?.[1] as string,
    },
  });
  const sts = new STSClient({ region: 'us-east-1', endpoint: local.endpoint });
  const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/bridge/${stack}-ingest-role-us-east-1`, RoleSessionName: 'test' }));
  const c = assumed.Credentials;
  asRole = new S3Client({
    region: 'us-east-1',
    endpoint: local.endpoint,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: c?.AccessKeyId as string, secretAccessKey: c?.SecretAccessKey as string, sessionToken: c?.SessionToken as string },
  });
  await enforceIam(local.endpoint);
});

afterAll(async () => {
  await local?.stop();
});

describe('the execution role under IAM enforcement', () => {
  it('can put objects under the data prefix', async () => {
    const put = await asRole.send(new PutObjectCommand({ Bucket, Key: 'raw/2026/11/28/reading.json', Body: '{"temp":280.1}' }));
    expect(put.VersionId).toBeTruthy();
  });

  it('cannot write elsewhere in the bucket', async () => {
    await denied(asRole.send(new PutObjectCommand({ Bucket, Key: 'other/reading.json', Body: '{}' })));
    await denied(asRole.send(new PutObjectCommand({ Bucket, Key: 'rawish/reading.json', Body: '{}' })));
  });

  it('cannot read, list or delete, even its own objects', async () => {
    await denied(asRole.send(new GetObjectCommand({ Bucket, Key: 'raw/2026/11/28/reading.json' })));
    // No Prefix: with one, the local AWS's signature check fails under enforcement (a 403 that proves nothing).
    await denied(asRole.send(new ListObjectsV2Command({ Bucket })));
    await denied(asRole.send(new DeleteObjectCommand({ Bucket, Key: 'raw/2026/11/28/reading.json' })));
  });

  it('cannot write to another bucket', async () => {
    await denied(asRole.send(new PutObjectCommand({ Bucket: 'some-other-bucket-in-account', Key: 'raw/x.json', Body: '{}' })));
  });
});

describe('the operators under IAM enforcement (the key setup wrote, the group policy)', () => {
  it('can list the bucket and read what the function stored', async () => {
    const listed = await asOperator.send(new ListObjectsV2Command({ Bucket }));
    expect(listed.Contents?.map((o) => o.Key)).toContain('raw/2026/11/28/reading.json');
    const body = await (await asOperator.send(new GetObjectCommand({ Bucket, Key: 'raw/2026/11/28/reading.json' }))).Body?.transformToString();
    expect(body).toBe('{"temp":280.1}');
  });

  it('cannot write, delete, or read outside the data prefix', async () => {
    await denied(asOperator.send(new PutObjectCommand({ Bucket, Key: 'raw/forged.json', Body: '{}' })));
    await denied(asOperator.send(new DeleteObjectCommand({ Bucket, Key: 'raw/2026/11/28/reading.json' })));
    await denied(asOperator.send(new GetObjectCommand({ Bucket, Key: 'outside/notes.json' })));
  });
});
