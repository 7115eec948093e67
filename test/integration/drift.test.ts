/**
 * Drift injected through the SDK, as a person in the console would; the next `bridge setup`
 * puts each back and says what it changed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  RemoveUserFromGroupCommand,
  ListGroupsForUserCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { DescribeKeyCommand, DisableKeyCommand, DisableKeyRotationCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import {
  DeleteBucketLifecycleCommand,
  DeleteBucketPolicyCommand,
  DeletePublicAccessBlockCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
} from '@aws-sdk/client-s3';
import { DescribeParametersCommand, GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { parsePolicy } from '../../src/policy.js';
import { LOCAL_ACCOUNT, TEST_SOURCE_KEY, localClients, mutatingCalls, resetLocal, runCli, setupArgs } from '../support/helpers.js';

const stack = 'driftcheck';
const Bucket = `${stack}-${LOCAL_ACCOUNT}-us-east-1`;
const RoleName = `${stack}-ingest-role-us-east-1`;
const aws = localClients();

async function converge() {
  const run = await runCli(['setup', '--stack', stack, '--verbose']);
  expect(run.code, run.stderr).toBe(0);
  return run;
}

async function rerunIsClean() {
  const run = await converge();
  expect(mutatingCalls(run)).toEqual([]);
}

beforeAll(async () => {
  await resetLocal();
  const run = await runCli(setupArgs(stack), { env: { TEST_SOURCE_KEY } });
  expect(run.code, run.stderr).toBe(0);
});

describe('setup repairs drift', () => {
  it('versioning suspended', async () => {
    await aws.s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Suspended' } }));
    const run = await converge();
    expect(run.stdout).toContain('versioning: Suspended -> Enabled');
    expect(mutatingCalls(run)).toEqual(['s3:PutBucketVersioning']);
    expect((await aws.s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBe('Enabled');
  });

  it('default encryption switched to AES256', async () => {
    await aws.s3.send(
      new PutBucketEncryptionCommand({ Bucket, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } }),
    );
    const run = await converge();
    expect(run.stdout).toMatch(/encryption: AES256 -> aws:kms arn:aws:kms:/);
    const rule = (await aws.s3.send(new GetBucketEncryptionCommand({ Bucket }))).ServerSideEncryptionConfiguration?.Rules?.[0];
    expect(rule?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('aws:kms');
    expect(rule?.BucketKeyEnabled).toBe(true);
    await rerunIsClean();
  });

  it('encryption on another KMS key, without the bucket key', async () => {
    await aws.s3.send(
      new PutBucketEncryptionCommand({
        Bucket,
        ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'alias/aws/s3' } }] },
      }),
    );
    const run = await converge();
    expect(run.stdout).toMatch(/encryption: aws:kms alias\/aws\/s3 -> aws:kms arn:aws:kms:.*, bucket key/);
    await rerunIsClean();
  });

  it('a public-access block removed or weakened', async () => {
    await aws.s3.send(
      new PutPublicAccessBlockCommand({
        Bucket,
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false },
      }),
    );
    let run = await converge();
    expect(run.stdout).toContain('public-access-block: BlockPublicPolicy, RestrictPublicBuckets off -> all four on');
    await aws.s3.send(new DeletePublicAccessBlockCommand({ Bucket }));
    run = await converge();
    expect(mutatingCalls(run)).toEqual(['s3:PutPublicAccessBlock']);
    const block = (await aws.s3.send(new GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration;
    expect(Object.values(block ?? {})).toEqual([true, true, true, true]);
  });

  it('a statement added to the bucket policy, and the policy deleted', async () => {
    const live = parsePolicy((await aws.s3.send(new GetBucketPolicyCommand({ Bucket }))).Policy as string);
    live.Statement.push({ Sid: 'Oops', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${Bucket}/*` });
    await aws.s3.send(new PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify(live) }));
    let run = await converge();
    expect(run.stdout).toContain(`- Allow s3:GetObject on arn:aws:s3:::${Bucket}/*`);
    expect(parsePolicy((await aws.s3.send(new GetBucketPolicyCommand({ Bucket }))).Policy as string).Statement).toHaveLength(3);
    await aws.s3.send(new DeleteBucketPolicyCommand({ Bucket }));
    run = await converge();
    expect(mutatingCalls(run)).toEqual(['s3:PutBucketPolicy']);
  });

  it('the lifecycle rule deleted', async () => {
    await aws.s3.send(new DeleteBucketLifecycleCommand({ Bucket }));
    await converge();
    expect((await aws.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules?.[0]?.ID).toBe('bridge-version-retention');
    await rerunIsClean();
  });

  it('a statement added to the role policy', async () => {
    const live = parsePolicy((await aws.iam.send(new GetRolePolicyCommand({ RoleName, PolicyName: `${stack}-ingest` }))).PolicyDocument as string);
    live.Statement.push({ Effect: 'Allow', Action: 's3:DeleteObject', Resource: `arn:aws:s3:::${Bucket}/*` });
    await aws.iam.send(new PutRolePolicyCommand({ RoleName, PolicyName: `${stack}-ingest`, PolicyDocument: JSON.stringify(live) }));
    const run = await converge();
    expect(run.stdout).toContain('inline-policy');
    expect(run.stdout).toContain(`- Allow s3:DeleteObject on arn:aws:s3:::${Bucket}/*`);
    expect(mutatingCalls(run)).toEqual(['iam:PutRolePolicy']);
    const after = (await aws.iam.send(new GetRolePolicyCommand({ RoleName, PolicyName: `${stack}-ingest` }))).PolicyDocument as string;
    expect(after).not.toContain('DeleteObject');
  });

  it('a managed policy attached to the role, and a second inline policy', async () => {
    await aws.iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess' }));
    await aws.iam.send(
      new PutRolePolicyCommand({
        RoleName,
        PolicyName: 'S3AccessPolicy',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
      }),
    );
    const run = await converge();
    expect(run.stdout).toContain('- managed policy arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess');
    expect(run.stdout).toContain('- inline policy S3AccessPolicy');
    expect((await aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName }))).AttachedPolicies).toEqual([]);
    expect((await aws.iam.send(new ListRolePoliciesCommand({ RoleName }))).PolicyNames).toEqual([`${stack}-ingest`]);
    await rerunIsClean();
  });

  it('the trust policy opened to another principal', async () => {
    await aws.iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName,
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }] }),
      }),
    );
    const run = await converge();
    expect(mutatingCalls(run)).toEqual(['iam:UpdateAssumeRolePolicy']);
    await rerunIsClean();
  });

  it('key rotation turned off, and the key disabled', async () => {
    const keyId = (await aws.kms.send(new DescribeKeyCommand({ KeyId: `alias/${stack}` }))).KeyMetadata?.KeyId;
    await aws.kms.send(new DisableKeyRotationCommand({ KeyId: keyId }));
    let run = await converge();
    expect(run.stdout).toContain('rotation: off -> on');
    expect((await aws.kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).KeyRotationEnabled).toBe(true);
    await aws.kms.send(new DisableKeyCommand({ KeyId: keyId }));
    run = await converge();
    expect(run.stdout).toContain('state: Disabled -> Enabled');
    expect((await aws.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe('Enabled');
    await rerunIsClean();
  });

  it('the key policy opened to everyone', async () => {
    const keyId = (await aws.kms.send(new DescribeKeyCommand({ KeyId: `alias/${stack}` }))).KeyMetadata?.KeyId;
    const live = parsePolicy((await aws.kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy as string);
    live.Statement.push({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*' });
    await aws.kms.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: JSON.stringify(live) }));
    const run = await converge();
    expect(run.stdout).toContain('- Allow kms:Decrypt on *');
    expect(mutatingCalls(run)).toEqual(['kms:PutKeyPolicy']);
  });

  it('operators: a policy on the user, the user out of the group, an extra group policy', async () => {
    const UserName = `${stack}-operator-us-east-1`;
    await aws.iam.send(new AttachUserPolicyCommand({ UserName, PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess' }));
    await aws.iam.send(new RemoveUserFromGroupCommand({ UserName, GroupName: `${stack}-operators-us-east-1` }));
    await aws.iam.send(
      new PutGroupPolicyCommand({
        GroupName: `${stack}-operators-us-east-1`,
        PolicyName: 'extra',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }] }),
      }),
    );
    await converge();
    expect((await aws.iam.send(new ListAttachedUserPoliciesCommand({ UserName }))).AttachedPolicies).toEqual([]);
    expect((await aws.iam.send(new ListGroupsForUserCommand({ UserName }))).Groups?.map((g) => g.GroupName)).toEqual([`${stack}-operators-us-east-1`]);
    await rerunIsClean();
  });

  it('the source key rewritten as a plain String: re-encrypted with the stack key, value kept', async () => {
    const Name = `/${stack}/source/api-key`;
    await aws.ssm.send(new PutParameterCommand({ Name, Value: TEST_SOURCE_KEY, Type: 'String', Overwrite: true }));
    const run = await converge();
    expect(run.stdout).toContain('type: String -> SecureString');
    expect(run.stdout + run.stderr).not.toContain(TEST_SOURCE_KEY);
    const described = (await aws.ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: [Name] }] }))).Parameters?.[0];
    expect(described?.Type).toBe('SecureString');
    expect(described?.KeyId).toMatch(/^arn:aws:kms:us-east-1:123456789012:key\//);
    expect((await aws.ssm.send(new GetParameterCommand({ Name, WithDecryption: true }))).Parameter?.Value).toBe(TEST_SOURCE_KEY);
    await rerunIsClean();
  });
});
