/**
 * `bridge adopt --from-function`: from the console tutorial's data bridge (built by the team, step
 * by step: test/support/tutorial-stack.ts) to a bridge stack beside it. The plan shows the new
 * stack, the source taken from the old function (the key never printed), the data to copy and what
 * would be retired; confirmed, the key is in SSM, the data copied and verified, both stacks
 * audited; the old data is never touched, and retiring the old parts is its own step.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { GetMethodCommand, GetResourcesCommand } from '@aws-sdk/client-api-gateway';
import { ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { GetBucketPolicyCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { LOCAL_ACCOUNT, localClients, mutatingCalls, resetLocal, runCli, type CliRun } from '../support/helpers.js';
import { TUTORIAL, buildTutorialStack } from '../support/tutorial-stack.js';

const aws = localClients();
const stack = 'weather';
const newBucket = `${stack}-${LOCAL_ACCOUNT}-us-east-1`;
const copiedKey = `raw/adopted/${TUTORIAL.bucket}/data.json`;
let apiId: string;
const outputs: string[] = [];

async function adopt(args: string[]): Promise<CliRun> {
  const run = await runCli(['adopt', '--from-function', TUTORIAL.function, '--stack', stack, ...args]);
  outputs.push(run.stdout, run.stderr);
  return run;
}

beforeAll(async () => {
  await resetLocal();
  ({ apiId } = await buildTutorialStack(aws));
});

describe('bridge adopt --dry-run', () => {
  it('plans the new stack, the source from the old function, the data to copy and what would be retired, and changes nothing', async () => {
    const run = await adopt(['--dry-run', '--json', '--verbose']);
    expect(run.code, run.stderr).toBe(0);
    expect(mutatingCalls(run)).toEqual([]);
    const plan = JSON.parse(run.stdout);
    expect(plan.source).toEqual({ url: TUTORIAL.apiUrl, urlFrom: 'API_URL', keyFrom: 'API_KEY', keyTo: `/${stack}/source/api-key` });
    expect(plan.setup.changes.filter((c: { action: string }) => c.action === 'create').length).toBeGreaterThanOrEqual(14);
    expect(plan.copy).toMatchObject({ objects: 1, bytes: 39, to: `s3://${newBucket}/raw/adopted/` });
    expect(plan.copy.items).toEqual([{ from: `s3://${TUTORIAL.bucket}/data.json`, to: `s3://${newBucket}/${copiedKey}`, bytes: 39 }]);
    const steps = plan.retire.map((r: { step: string }) => r.step).join('\n');
    expect(steps).toContain(`require AWS_IAM on ${TUTORIAL.api} GET /data (open to anyone today)`);
    expect(steps).toContain(`remove API_KEY (the source key, in plain text) from ${TUTORIAL.function}'s environment`);
    expect(steps).toContain('detach AWS managed policy AmazonS3ReadOnlyAccess from role lambda-execution-role');
    expect(steps).toContain(`detach customer managed policy ${TUTORIAL.customPolicy} from role lambda-execution-role`);
    expect(steps).toContain(`remove bucket-policy statement AllowLambdaRead of ${TUTORIAL.bucket} (it grants the whole lambda.amazonaws.com service)`);
    expect(plan.retire.every((r: { undo: string; applied: boolean }) => r.undo.length > 0 && !r.applied)).toBe(true);
  });

  it('shows the same plan for people, the key never among it', async () => {
    const run = await adopt(['--dry-run']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('key from API_KEY (not shown) into SSM /weather/source/api-key');
    expect(run.stdout).toMatch(/Data: copy 1 object \(39 bytes\)/);
    expect(run.stdout).toContain('only with --retire-old; shown, not done');
  });
});

describe('bridge adopt, confirmed', () => {
  let run: CliRun;
  beforeAll(async () => {
    run = await adopt(['--yes']);
  });

  it('builds the stack with the key in SSM, encrypted, and never printed', async () => {
    expect(run.code, run.stderr).toBe(0);
    const parameter = await aws.ssm.send(new GetParameterCommand({ Name: `/${stack}/source/api-key`, WithDecryption: true }));
    expect(parameter.Parameter?.Type).toBe('SecureString');
    expect(parameter.Parameter?.Value).toBe(TUTORIAL.apiKey);
    const env = (await aws.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: `${stack}-ingest` }))).Environment?.Variables ?? {};
    expect(Object.values(env)).not.toContain(TUTORIAL.apiKey);
  });

  it('copies the old data under the stack key, verified by SHA-256, and leaves the old object where it was', async () => {
    const old = await (await aws.s3.send(new GetObjectCommand({ Bucket: TUTORIAL.bucket, Key: 'data.json' }))).Body?.transformToByteArray();
    const copy = await aws.s3.send(new HeadObjectCommand({ Bucket: newBucket, Key: copiedKey, ChecksumMode: 'ENABLED' }));
    expect(copy.ServerSideEncryption).toBe('aws:kms');
    expect(copy.ChecksumSHA256).toBe(createHash('sha256').update(old as Uint8Array).digest('base64'));
    expect(copy.Metadata).toMatchObject({ 'adopted-from': `s3://${TUTORIAL.bucket}/data.json`, trigger: 'adopt' });
    expect(run.stdout).toMatch(/Data: 1 object copied and verified by SHA-256 \(0 already there\), 39 bytes; the old ones are untouched\./);
  });

  it('leaves the old stack as it was, and audits both', async () => {
    const env = (await aws.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: TUTORIAL.function }))).Environment?.Variables ?? {};
    expect(env.API_KEY).toBe(TUTORIAL.apiKey);
    expect(run.stdout).toContain('Old stack: unchanged (--retire-old retires what the plan lists).');
    expect(run.stdout).toMatch(/^Audit of stack weather: \d+ passed, \d+ failed, 0 errors/m);
    expect(run.stdout).toMatch(new RegExp(`^Audit of ${TUTORIAL.function}: \\d+ passed, \\d+ failed, 0 errors`, 'm'));
  });

  it('converges on a second run: nothing copied twice', async () => {
    const again = await adopt(['--yes']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('(1 already there)');
  });
});

describe('bridge adopt --retire-old', () => {
  it("retires the old stack's open method, plaintext key, broad policies and service-wide bucket grant; the old data stays", async () => {
    const run = await adopt(['--retire-old', '--yes']);
    expect(run.code, run.stderr).toBe(0);
    const resource = ((await aws.apigateway.send(new GetResourcesCommand({ restApiId: apiId }))).items ?? []).find((r) => r.path === '/data');
    expect((await aws.apigateway.send(new GetMethodCommand({ restApiId: apiId, resourceId: resource?.id, httpMethod: 'GET' }))).authorizationType).toBe('AWS_IAM');
    const env = (await aws.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: TUTORIAL.function }))).Environment?.Variables ?? {};
    expect(env).toEqual({ API_URL: TUTORIAL.apiUrl, S3_BUCKET_NAME: TUTORIAL.bucket });
    const attached = (await aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: TUTORIAL.role }))).AttachedPolicies?.map((p) => p.PolicyName);
    expect(attached).toEqual([]);
    await expect(aws.s3.send(new GetBucketPolicyCommand({ Bucket: TUTORIAL.bucket }))).rejects.toMatchObject({ name: 'NoSuchBucketPolicy' });
    expect((await aws.s3.send(new HeadObjectCommand({ Bucket: TUTORIAL.bucket, Key: 'data.json' }))).ContentLength).toBe(39);
    const audit = JSON.parse((await runCli(['audit', '--from-function', TUTORIAL.function, '--json'])).stdout) as { results: { id: string; status: string }[] };
    const status = new Map(audit.results.map((r) => [r.id, r.status]));
    expect([status.get('api-auth-required'), status.get('lambda-no-secrets-in-env'), status.get('s3-policy')]).toEqual(['PASS', 'PASS', 'PASS']);
  });

  it('converges on a second run: the key, no longer in the old function, is the one the stack holds; nothing left to retire', async () => {
    const again = await adopt(['--retire-old', '--yes']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('Old stack: 0 parts retired, 0 already retired');
    expect(again.stdout).toContain('(1 already there)');
  });

  it('never printed the key, in any run', () => {
    expect(outputs.join('\n')).not.toContain(TUTORIAL.apiKey);
  });
});

describe('bridge adopt, refused before any call', () => {
  it('without --stack, without a terminal and --yes, or with --dry-run and --yes: exit 2', async () => {
    const noStack = await runCli(['adopt', '--from-function', TUTORIAL.function, '--yes']);
    expect(noStack.code).toBe(2);
    expect(noStack.stderr).toMatch(/adopt needs the new stack's name: give --stack NAME/);
    const unconfirmed = await runCli(['adopt', '--from-function', TUTORIAL.function, '--stack', 'other']);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/without a terminal to confirm in, pass --yes/);
    const both = await runCli(['adopt', '--from-function', TUTORIAL.function, '--stack', 'other', '--dry-run', '--yes']);
    expect(both.code).toBe(2);
  });
});
