/**
 * A fresh `bridge setup` against the local AWS creates exactly the intended resources, read back
 * field by field with plain SDK calls; a second run changes nothing and makes no mutating call.
 */
import { statSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  GetGroupCommand,
  GetGroupPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import { DescribeKeyCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, ListResourceTagsCommand } from '@aws-sdk/client-kms';
import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  S3Client,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
} from '@aws-sdk/client-s3';
import { DescribeLogGroupsCommand, ListTagsForResourceCommand as ListLogTagsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeParametersCommand, GetParameterCommand, ListTagsForResourceCommand } from '@aws-sdk/client-ssm';
import { parsePolicy } from '../../src/policy.js';
import { LOCAL_ACCOUNT, TEST_SOURCE_KEY, localClients, mutatingCalls, resetLocal, runCli, setupArgs, type CliRun } from '../support/helpers.js';

const stack = 'setupcheck';
const bucket = `${stack}-${LOCAL_ACCOUNT}-us-east-1`;
const aws = localClients();
const env = { TEST_SOURCE_KEY };


let first: CliRun;
let keyArn: string;
let keyFile: string;

beforeAll(async () => {
  await resetLocal();
  keyFile = join(mkdtempSync(join(tmpdir(), 'bridge-key-')), 'operator.credentials');
  first = await runCli([...setupArgs(stack, ['--operator-access-key-file', keyFile]), '--json', '--verbose'], { env });
  const key = await aws.kms.send(new DescribeKeyCommand({ KeyId: `alias/${stack}` }));
  keyArn = key.KeyMetadata?.Arn as string;
});

describe('a fresh setup', () => {
  it('exits 0 with the documented JSON alone on stdout', () => {
    expect(first.code, first.stderr).toBe(0);
    const json = JSON.parse(first.stdout);
    expect(json).toMatchObject({ stack, region: 'us-east-1', account: LOCAL_ACCOUNT, dryRun: false });
    expect(json.changes.map((c: { resource: string; action: string }) => [c.resource, c.action])).toEqual([
      ['kms-key', 'create'],
      ['rest-api', 'create'],
      ['bucket', 'create'],
      ['execution-role', 'create'],
      ['operators', 'create'],
      ['source-api-key', 'create'],
      ['kms-key-policy', 'create'],
      ['function-log-group', 'create'],
      ['function', 'create'],
      // Account-wide logging is left alone without --configure-account-logging; no API key without api-key mode.
      ['api-account-logging', 'noop'],
      ['api-log-group', 'create'],
      ['api-execution-log-group', 'create'],
      ['api', 'create'],
      ['api-permission', 'create'],
      ['api-key', 'noop'],
      ['operators-policy', 'create'],
      // No schedule without --schedule: its parts stay absent.
      ['schedule-dlq', 'noop'],
      ['scheduler-role', 'noop'],
      ['function-async', 'noop'],
      ['schedule', 'noop'],
    ]);
    expect(json.resources.api.invokeUrl).toBe(`https://${json.resources.api.id}.execute-api.us-east-1.amazonaws.com/prod/data`);
    expect(json.notes).toEqual([expect.stringMatching(/no CloudWatch role in this account.*--configure-account-logging/)]);
    expect(json.resources['kms-key'].arn).toBe(keyArn);
    expect(json.resources.bucket).toEqual({ name: bucket, arn: `arn:aws:s3:::${bucket}` });
  });

  it('creates the KMS key enabled, tagged, aliased, rotating, with the intended key policy', async () => {
    const { KeyMetadata } = await aws.kms.send(new DescribeKeyCommand({ KeyId: `alias/${stack}` }));
    expect(KeyMetadata?.KeyState).toBe('Enabled');
    expect(KeyMetadata?.KeyManager).toBe('CUSTOMER');
    const tags = await aws.kms.send(new ListResourceTagsCommand({ KeyId: KeyMetadata?.KeyId }));
    expect(tags.Tags).toContainEqual({ TagKey: 'bridge:stack', TagValue: stack });
    expect((await aws.kms.send(new GetKeyRotationStatusCommand({ KeyId: KeyMetadata?.KeyId }))).KeyRotationEnabled).toBe(true);
    const policy = parsePolicy((await aws.kms.send(new GetKeyPolicyCommand({ KeyId: KeyMetadata?.KeyId, PolicyName: 'default' }))).Policy as string);
    const bySid = Object.fromEntries(policy.Statement.map((s) => [s.Sid, s]));
    expect(bySid.AccountAdministration?.Principal).toEqual({ AWS: `arn:aws:iam::${LOCAL_ACCOUNT}:root` });
    // Each use of the key is scoped to its service and its encryption context: the bucket, the parameter.
    const bucketContext = { 'kms:EncryptionContext:aws:s3:arn': [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] };
    expect(bySid.ExecutionRoleUsesKeyOnlyThroughS3ForTheBucket).toMatchObject({
      Principal: { AWS: `arn:aws:iam::${LOCAL_ACCOUNT}:role/bridge/${stack}-ingest-role-us-east-1` },
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' }, StringLike: bucketContext },
    });
    expect(bySid.ExecutionRoleDecryptsOnlyTheSourceKeyThroughSSM).toMatchObject({
      Action: 'kms:Decrypt',
      Condition: {
        StringEquals: { 'kms:ViaService': 'ssm.us-east-1.amazonaws.com', 'kms:EncryptionContext:PARAMETER_ARN': `arn:aws:ssm:us-east-1:${LOCAL_ACCOUNT}:parameter/${stack}/source/api-key` },
      },
    });
    expect(bySid.OperatorsDecryptOnlyThroughS3).toMatchObject({
      Principal: { AWS: `arn:aws:iam::${LOCAL_ACCOUNT}:user/bridge/${stack}-operator-us-east-1` },
      Action: 'kms:Decrypt',
      Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' }, StringLike: bucketContext },
    });
    const apiId = JSON.parse(first.stdout).resources.api.id as string;
    // CloudWatch Logs may use the key for the stack's three log groups, nothing else.
    expect(bySid.CloudWatchLogsEncryptsStackLogGroupsOnly).toMatchObject({
      Principal: { Service: 'logs.us-east-1.amazonaws.com' },
      Condition: {
        ArnEquals: {
          'kms:EncryptionContext:aws:logs:arn': [
            `arn:aws:logs:us-east-1:${LOCAL_ACCOUNT}:log-group:/aws/lambda/${stack}-ingest`,
            `arn:aws:logs:us-east-1:${LOCAL_ACCOUNT}:log-group:/aws/apigateway/${stack}-api`,
            `arn:aws:logs:us-east-1:${LOCAL_ACCOUNT}:log-group:API-Gateway-Execution-Logs_${apiId}/prod`,
          ],
        },
      },
    });
    expect(policy.Statement).toHaveLength(5);
  });

  it("creates API Gateway's execution log group before API Gateway would (unencrypted, kept forever): stack key, retention, tagged", async () => {
    const apiId = JSON.parse(first.stdout).resources.api.id as string;
    const name = `API-Gateway-Execution-Logs_${apiId}/prod`;
    const group = (await aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }))).logGroups?.find((g) => g.logGroupName === name);
    expect(group).toMatchObject({ kmsKeyId: keyArn, retentionInDays: 365 });
    const arn = `arn:aws:logs:us-east-1:${LOCAL_ACCOUNT}:log-group:${name}`;
    expect((await aws.logs.send(new ListLogTagsCommand({ resourceArn: arn }))).tags).toEqual({ 'bridge:stack': stack });
    // The operators may read it, as they read the stack's other logs.
    const policy = parsePolicy(
      (await aws.iam.send(new GetGroupPolicyCommand({ GroupName: `${stack}-operators-us-east-1`, PolicyName: `${stack}-operators` }))).PolicyDocument as string,
    );
    expect(policy.Statement.find((st) => st.Sid === 'ReadStackLogs')?.Resource).toContain(`${arn}:*`);
  });

  it('creates the bucket private, versioned, SSE-KMS with the stack key, with its policy and lifecycle', async () => {
    const Bucket = bucket;
    expect((await aws.s3.send(new GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect((await aws.s3.send(new GetBucketOwnershipControlsCommand({ Bucket }))).OwnershipControls?.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    expect((await aws.s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBe('Enabled');
    const rule = (await aws.s3.send(new GetBucketEncryptionCommand({ Bucket }))).ServerSideEncryptionConfiguration?.Rules?.[0];
    expect(rule?.ApplyServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn });
    expect(rule?.BucketKeyEnabled).toBe(true);
    const policy = parsePolicy((await aws.s3.send(new GetBucketPolicyCommand({ Bucket }))).Policy as string);
    expect(policy.Statement.map((s) => s.Sid)).toEqual(['DenyInsecureTransport', 'DenyUploadsNamingAnotherKmsKey', 'DenyUploadsNamingOtherEncryption']);
    expect(policy.Statement[0]).toMatchObject({
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    expect(policy.Statement[1]?.Condition?.StringNotEquals).toEqual({ 's3:x-amz-server-side-encryption-aws-kms-key-id': keyArn });
    const lifecycle = await aws.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }));
    expect(lifecycle.Rules).toHaveLength(1);
    expect(lifecycle.Rules?.[0]).toMatchObject({
      ID: 'bridge-version-retention',
      Status: 'Enabled',
      NoncurrentVersionExpiration: { NoncurrentDays: 365 },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
    });
    expect((await aws.s3.send(new GetBucketTaggingCommand({ Bucket }))).TagSet).toContainEqual({ Key: 'bridge:stack', Value: stack });
  });

  it('creates the execution role trusted by Lambda in this account, with one inline least-privilege policy', async () => {
    const RoleName = `${stack}-ingest-role-us-east-1`;
    const role = (await aws.iam.send(new GetRoleCommand({ RoleName }))).Role;
    expect(role?.Path).toBe('/bridge/');
    expect(role?.Tags).toContainEqual({ Key: 'bridge:stack', Value: stack });
    const trust = parsePolicy(role?.AssumeRolePolicyDocument as string);
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0]).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'lambda.amazonaws.com' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'aws:SourceAccount': LOCAL_ACCOUNT } },
    });
    expect((await aws.iam.send(new ListRolePoliciesCommand({ RoleName }))).PolicyNames).toEqual([`${stack}-ingest`]);
    expect((await aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName }))).AttachedPolicies).toEqual([]);
    const policy = parsePolicy((await aws.iam.send(new GetRolePolicyCommand({ RoleName, PolicyName: `${stack}-ingest` }))).PolicyDocument as string);
    const grants = policy.Statement.map((s) => [s.Action, s.Resource]);
    expect(grants).toEqual([
      ['s3:PutObject', `arn:aws:s3:::${bucket}/raw/*`],
      ['kms:GenerateDataKey', keyArn],
      ['ssm:GetParameter', `arn:aws:ssm:us-east-1:${LOCAL_ACCOUNT}:parameter/${stack}/source/api-key`],
      ['kms:Decrypt', keyArn],
      [['logs:CreateLogStream', 'logs:PutLogEvents'], `arn:aws:logs:us-east-1:${LOCAL_ACCOUNT}:log-group:/aws/lambda/${stack}-ingest:*`],
      [['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], '*'],
    ]);
    expect(JSON.stringify(policy)).not.toMatch(/"Action":"[a-z0-9]*:?\*"|s3:Get|s3:Delete|s3:List/);
  });

  it('creates the operators: a group with the read-only policy, a user in it with nothing of its own', async () => {
    const group = await aws.iam.send(new GetGroupCommand({ GroupName: `${stack}-operators-us-east-1` }));
    expect(group.Group?.Path).toBe('/bridge/');
    expect(group.Users?.map((u) => u.UserName)).toEqual([`${stack}-operator-us-east-1`]);
    const policy = parsePolicy(
      (await aws.iam.send(new GetGroupPolicyCommand({ GroupName: `${stack}-operators-us-east-1`, PolicyName: `${stack}-operators` }))).PolicyDocument as string,
    );
    const actions = policy.Statement.flatMap((s) => s.Action as string | string[]);
    // execute-api:Invoke on exactly this API's GET /data on prod, nothing wider.
    const apiId = JSON.parse(first.stdout).resources.api.id;
    expect(policy.Statement.find((s) => s.Action === 'execute-api:Invoke')?.Resource).toBe(`arn:aws:execute-api:us-east-1:${LOCAL_ACCOUNT}:${apiId}/prod/GET/data`);
    expect(policy.Statement.find((s) => s.Action === 'apigateway:GET')?.Resource).toEqual([
      'arn:aws:apigateway:us-east-1::/restapis',
      `arn:aws:apigateway:us-east-1::/restapis/${apiId}/*`,
    ]);
    expect(actions.sort()).toEqual(
      [
        'execute-api:Invoke',
        // Only to find this API and its stage before calling it (bridge invoke --via-api).
        'apigateway:GET',
        's3:ListBucket',
        's3:ListBucketVersions',
        's3:GetObject',
        's3:GetObjectVersion',
        'kms:Decrypt',
        'logs:DescribeLogStreams',
        'logs:GetLogEvents',
        'logs:FilterLogEvents',
        'logs:StartLiveTail',
        'lambda:GetFunction',
        'lambda:GetFunctionConfiguration',
        'lambda:InvokeFunction',
      ].sort(),
    );
    const UserName = `${stack}-operator-us-east-1`;
    const user = (await aws.iam.send(new GetUserCommand({ UserName }))).User;
    expect(user?.Tags).toContainEqual({ Key: 'bridge:stack', Value: stack });
    expect((await aws.iam.send(new ListUserPoliciesCommand({ UserName }))).PolicyNames).toEqual([]);
    expect((await aws.iam.send(new ListAttachedUserPoliciesCommand({ UserName }))).AttachedPolicies).toEqual([]);
    expect((await aws.iam.send(new ListGroupsForUserCommand({ UserName }))).Groups?.map((g) => g.GroupName)).toEqual([`${stack}-operators-us-east-1`]);
  });

  it('writes the one requested operator access key to a 0600 file and prints it nowhere', async () => {
    const keys = (await aws.iam.send(new ListAccessKeysCommand({ UserName: `${stack}-operator-us-east-1` }))).AccessKeyMetadata ?? [];
    expect(keys).toHaveLength(1);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const text = readFileSync(keyFile, 'utf8');
    expect(text).toContain(`aws_access_key_id = ${keys[0]?.AccessKeyId}`);
    const secret = /aws_secret_access_key = (\S+)/.exec(text)?.[1] as string;
    expect(secret.length).toBeGreaterThan(10);
    expect(first.stdout + first.stderr).not.toContain(secret);
  });

  it('stores the source API key as a SecureString under the stack key, and never prints it', async () => {
    const Name = `/${stack}/source/api-key`;
    const described = (await aws.ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: [Name] }] }))).Parameters?.[0];
    expect(described?.Type).toBe('SecureString');
    expect(described?.KeyId).toBe(keyArn);
    expect((await aws.ssm.send(new GetParameterCommand({ Name, WithDecryption: true }))).Parameter?.Value).toBe(TEST_SOURCE_KEY);
    const tags = await aws.ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: Name }));
    expect(tags.TagList).toContainEqual({ Key: 'bridge:stack', Value: stack });
    expect(first.stdout + first.stderr).not.toContain(TEST_SOURCE_KEY);
  });
});

describe('a second setup', () => {
  it('reports no change and makes no mutating AWS call', async () => {
    const again = await runCli([...setupArgs(stack, ['--operator-access-key-file', keyFile]), '--json', '--verbose'], { env });
    expect(again.code, again.stderr).toBe(0);
    const json = JSON.parse(again.stdout);
    expect(json.changes.every((c: { action: string }) => c.action === 'noop')).toBe(true);
    expect(again.stderr).toMatch(/^aws s3 GetBucketPolicy$/m);
    expect(mutatingCalls(again)).toEqual([]);
    expect(again.stdout + again.stderr).not.toContain(TEST_SOURCE_KEY);
  });

  it('without the key or URL keeps the stored key (only the first setup needs them)', async () => {
    const run = await runCli(['setup', '--stack', stack, '--verbose']);
    expect(run.code, run.stderr).toBe(0);
    expect(mutatingCalls(run)).toEqual([]);
    expect(run.stdout).toContain('Done: 0 created, 0 updated, 20 unchanged.');
  });

  it('--dry-run --detailed-exitcode exits 0 when nothing would change, as terraform plan does', async () => {
    const run = await runCli(['setup', '--stack', stack, '--dry-run', '--detailed-exitcode']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Plan: 0 to create, 0 to update, 20 unchanged (--verbose lists them). Nothing was changed (dry run).');
  });

  it('with a new key value updates only the parameter, saying so without the value', async () => {
    const run = await runCli([...setupArgs(stack), '--verbose'], { env: { TEST_SOURCE_KEY: 'rotated-key-77aa' } });
    expect(run.code, run.stderr).toBe(0);
    expect(mutatingCalls(run)).toEqual(['ssm:PutParameter']);
    expect(run.stdout).toMatch(/value: new value \(not shown\)/);
    expect(run.stdout + run.stderr).not.toContain('rotated-key-77aa');
    const stored = await aws.ssm.send(new GetParameterCommand({ Name: `/${stack}/source/api-key`, WithDecryption: true }));
    expect(stored.Parameter?.Value).toBe('rotated-key-77aa');
  });
});

describe('--dry-run', () => {
  it('on a new stack prints the plan, creates nothing and makes no mutating call', async () => {
    const run = await runCli([...setupArgs('drycheck'), '--dry-run', '--verbose'], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(mutatingCalls(run)).toEqual([]);
    expect(run.stdout).toContain('Plan: 14 to create, 0 to update, 6 unchanged. Nothing was changed (dry run).');
    expect(run.stdout).toMatch(/^\+ S3 bucket\s+drycheck-123456789012-us-east-1\s+create$/m);
    await expect(aws.iam.send(new GetRoleCommand({ RoleName: 'drycheck-ingest-role-us-east-1' }))).rejects.toThrow(/not found|cannot be found/i);
  });

  it('--detailed-exitcode exits 2 while changes are pending; unchanged rows only with --verbose; the stack named first', async () => {
    const pending = await runCli([...setupArgs('drycheck'), '--dry-run', '--detailed-exitcode'], { env });
    expect(pending.code, pending.stderr).toBe(2);
    expect(pending.stdout).toContain('Plan: 14 to create, 0 to update, 6 unchanged (--verbose lists them). Nothing was changed (dry run).');
    expect(pending.stdout).not.toMatch(/^= /m);
    expect(pending.stdout).toMatch(/^\+ S3 bucket\s+drycheck-123456789012-us-east-1\s+create$/m);
    // Where it works, before any work: the first line on stderr.
    expect(pending.stderr.split('\n')[0]).toBe('Stack drycheck in us-east-1 (account 123456789012)');
    const refused = await runCli([...setupArgs('drycheck'), '--detailed-exitcode'], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--detailed-exitcode goes with --dry-run/);
    expect(mutatingCalls(refused)).toEqual([]);
  });

  it('--json gives the plan with unknown identifiers marked', async () => {
    const run = await runCli([...setupArgs('drycheck'), '--dry-run', '--json'], { env });
    const json = JSON.parse(run.stdout);
    expect(json.dryRun).toBe(true);
    expect(json.resources['kms-key'].arn).toBe('(known after apply)');
    expect(json.changes.find((c: { resource: string }) => c.resource === 'bucket').fields).toContain('encryption');
  });
});

describe('in another region', () => {
  it('creates the bucket there (LocationConstraint) and derives region names', async () => {
    const run = await runCli([...setupArgs('regional'), '--region', 'eu-west-1', '--json'], { env });
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.region).toBe('eu-west-1');
    expect(json.resources.bucket.name).toBe('regional-123456789012-eu-west-1');
    const eu = new S3Client({ region: 'eu-west-1', endpoint: process.env.AWS_ENDPOINT_URL, forcePathStyle: true });
    const location = await eu.send(new GetBucketLocationCommand({ Bucket: 'regional-123456789012-eu-west-1' }));
    expect(location.LocationConstraint).toBe('eu-west-1');
    expect(json.resources['kms-key'].arn).toMatch(/^arn:aws:kms:eu-west-1:/);
  });
});
