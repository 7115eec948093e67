/**
 * One widening of one document at a time, through the SDK, on a live stack: the audit's
 * access-as-intended control (every policy evaluated together) catches each, naming a request
 * that is now decided otherwise, and `audit --fix` puts the document back.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AttachRolePolicyCommand, GetRolePolicyCommand, PutGroupPolicyCommand, PutRolePolicyCommand, PutUserPolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { DescribeKeyCommand, GetKeyPolicyCommand, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { AddPermissionCommand } from '@aws-sdk/client-lambda';
import { GetBucketPolicyCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { stackNames } from '../../src/names.js';
import { parsePolicy, type PolicyDocument } from '../../src/policy.js';
import { LOCAL_ACCOUNT, TEST_SOURCE_KEY, localClients, resetLocal, runCli, setupArgs } from '../support/helpers.js';

const stack = 'accessdrift';
const aws = localClients();
const n = stackNames(stack, LOCAL_ACCOUNT, 'us-east-1');
let keyId: string;

const added = (document: PolicyDocument, statement: PolicyDocument['Statement'][number]): PolicyDocument => ({ ...document, Statement: [...document.Statement, statement] });

async function keyPolicy(): Promise<PolicyDocument> {
  return parsePolicy((await aws.kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy as string);
}
async function putKeyPolicy(document: PolicyDocument): Promise<void> {
  await aws.kms.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: JSON.stringify(document) }));
}
async function bucketPolicy(): Promise<PolicyDocument> {
  return parsePolicy((await aws.s3.send(new GetBucketPolicyCommand({ Bucket: n.bucket }))).Policy as string);
}
async function putBucketPolicy(document: PolicyDocument): Promise<void> {
  await aws.s3.send(new PutBucketPolicyCommand({ Bucket: n.bucket, Policy: JSON.stringify(document) }));
}
async function rolePolicy(): Promise<PolicyDocument> {
  return parsePolicy((await aws.iam.send(new GetRolePolicyCommand({ RoleName: n.roleName, PolicyName: n.rolePolicyName }))).PolicyDocument as string);
}
async function putRolePolicy(document: PolicyDocument): Promise<void> {
  await aws.iam.send(new PutRolePolicyCommand({ RoleName: n.roleName, PolicyName: n.rolePolicyName, PolicyDocument: JSON.stringify(document) }));
}

async function accessResult() {
  const run = await runCli(['audit', '--stack', stack, '--json']);
  const report = JSON.parse(run.stdout) as { results: { id: string; status: string; detail: string }[] };
  return report.results.find((r) => r.id === 'access-as-intended') as { status: string; detail: string };
}

beforeAll(async () => {
  await resetLocal();
  const run = await runCli([...setupArgs(stack), '--configure-account-logging'], { env: { TEST_SOURCE_KEY } });
  expect(run.code, run.stderr).toBe(0);
  keyId = (await aws.kms.send(new DescribeKeyCommand({ KeyId: `alias/${stack}` }))).KeyMetadata?.KeyId as string;
  expect((await accessResult()).status).toBe('PASS');
});

const widenings: [string, () => Promise<void>, RegExp][] = [
  [
    'the role policy lets it read',
    async () => putRolePolicy(added(await rolePolicy(), { Effect: 'Allow', Action: 's3:GetObject', Resource: `${n.bucketArn}/*` })),
    /execution-role s3:GetObject .*\(reads what it stored\): allow, intended deny/,
  ],
  ['a second inline policy lets the role delete', async () => {
    await aws.iam.send(new PutRolePolicyCommand({ RoleName: n.roleName, PolicyName: 'handy', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:DeleteObject', Resource: '*' }] }) }));
  }, /execution-role s3:DeleteObject .*: allow, intended deny; allowed by inline policy handy/],
  ['a managed policy attached to the role', async () => {
    await aws.iam.send(new AttachRolePolicyCommand({ RoleName: n.roleName, PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess' }));
  }, /execution-role s3:GetObject .*allowed by managed policy AmazonS3ReadOnlyAccess/],
  ['the role policy drops the parameter from its SSM statement', async () => {
    const doc = await rolePolicy();
    await putRolePolicy({ ...doc, Statement: doc.Statement.map((s) => (s.Sid === 'ReadSourceApiKey' ? { ...s, Resource: '*' } : s)) });
  }, /execution-role ssm:GetParameter .*\(reads another parameter\): allow, intended deny/],
  ['the trust drops aws:SourceAccount', async () => {
    await aws.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: n.roleName, PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }));
  }, /lambda-service sts:AssumeRole .*confused deputy.*: allow, intended deny/],
  ['the operators may write', async () => {
    await aws.iam.send(new PutGroupPolicyCommand({ GroupName: n.operatorGroup, PolicyName: 'extra', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: `${n.bucketArn}/*` }] }) }));
  }, /operator s3:PutObject .*\(writes a reading\): allow, intended deny/],
  ['the operator user gets a policy of its own', async () => {
    await aws.iam.send(new PutUserPolicyCommand({ UserName: n.operatorUser, PolicyName: 'mine', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: '*' }] }) }));
  }, /operator ssm:GetParameter .*\(reads the source key\): allow, intended deny/],
  ['the bucket policy loses TLS-only', async () => {
    const doc = await bucketPolicy();
    await putBucketPolicy({ ...doc, Statement: doc.Statement.filter((s) => s.Sid !== 'DenyInsecureTransport') });
  }, /s3:\w+ .*without TLS.*: allow, intended deny/],
  ['the bucket policy lets another account read', async () => {
    await putBucketPolicy(added(await bucketPolicy(), { Sid: 'Partner', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999988887777:root' }, Action: 's3:GetObject', Resource: `${n.bucketArn}/*` }));
  }, /other-account s3:GetObject .*: allow, intended deny; allowed across accounts by bucket policy Partner/],
  ['the key policy names another account', async () => {
    await putKeyPolicy(added(await keyPolicy(), { Sid: 'Partner', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999988887777:root' }, Action: 'kms:Decrypt', Resource: '*' }));
  }, /other-account kms:Decrypt .*: allow, intended deny/],
  ['the key policy drops the parameter from the role\'s SSM statement', async () => {
    const doc = await keyPolicy();
    await putKeyPolicy({
      ...doc,
      Statement: doc.Statement.map((s) => (s.Sid === 'ExecutionRoleDecryptsOnlyTheSourceKeyThroughSSM' ? { ...s, Condition: { StringEquals: { 'kms:ViaService': 'ssm.us-east-1.amazonaws.com' } } } : s)),
    });
  }, /execution-role kms:Decrypt .*another parameter's value\): allow, intended deny; allowed by key policy ExecutionRoleDecryptsOnlyTheSourceKeyThroughSSM/],
  ['the key policy lets CloudWatch Logs use it for any log group', async () => {
    const doc = await keyPolicy();
    await putKeyPolicy({ ...doc, Statement: doc.Statement.map((s) => (s.Sid === 'CloudWatchLogsEncryptsStackLogGroupsOnly' ? { ...s, Condition: undefined } : s)) });
  }, /cloudwatch-logs kms:GenerateDataKey .*another log group\): allow, intended deny/],
  ['the function policy lets anyone run it', async () => {
    await aws.lambda.send(new AddPermissionCommand({ FunctionName: n.functionName, StatementId: 'everyone', Action: 'lambda:InvokeFunction', Principal: '*' }));
  }, /unrelated-user lambda:InvokeFunction .*: allow, intended deny; allowed by function policy everyone/],
];

describe('one widening of one live document at a time', () => {
  it.each(widenings)('%s: caught, and put back by audit --fix', async (_what, widen, finding) => {
    await widen();
    const caught = await accessResult();
    expect(caught.status).toBe('FAIL');
    expect(caught.detail).toMatch(finding);
    const fixed = await runCli(['audit', '--stack', stack, '--fix', '--yes', '--json']);
    expect(fixed.stderr).toMatch(/After: \d+ passed, 0 failed, 0 errors\./);
    expect((await accessResult()).status).toBe('PASS');
  });
});
