/**
 * The execution role's policy, enforced for real: moto checks identity policies for S3 once
 * enforcement is on. Setup runs first as an unrestricted caller; the role's credentials are taken
 * before enforcement (moto cannot check a Service principal's trust under enforcement).
 * A server of its own, since enforcement is server-wide.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { enforceIam, startLocalAws, type LocalAws } from '../../src/local/moto.js';
import { LOCAL_ACCOUNT, TEST_SOURCE_KEY, runCli, setupArgs } from '../support/helpers.js';

const stack = 'enforced';
const Bucket = `${stack}-${LOCAL_ACCOUNT}-us-east-1`;
let local: LocalAws;
let asRole: S3Client;

async function denied(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'the call should have been denied').not.toBeNull();
  expect((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(403);
}

beforeAll(async () => {
  local = await startLocalAws({ env: { INITIAL_NO_AUTH_ACTION_COUNT: '100000' } });
  const run = await runCli([...setupArgs(stack), '--endpoint-url', local.endpoint], { env: { TEST_SOURCE_KEY } });
  expect(run.code, run.stderr).toBe(0);
  const sts = new STSClient({ region: 'us-east-1', endpoint: local.endpoint });
  const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/bridge/${stack}-ingest-role`, RoleSessionName: 'test' }));
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
    await denied(asRole.send(new ListObjectsV2Command({ Bucket, Prefix: 'raw/' })));
    await denied(asRole.send(new DeleteObjectCommand({ Bucket, Key: 'raw/2026/11/28/reading.json' })));
  });

  it('cannot write to another bucket', async () => {
    await denied(asRole.send(new PutObjectCommand({ Bucket: 'some-other-bucket-in-account', Key: 'raw/x.json', Body: '{}' })));
  });
});
