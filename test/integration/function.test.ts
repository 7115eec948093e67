/**
 * Setup deploys the function and its log group exactly as intended; a second setup uploads
 * nothing; drift in code, configuration, concurrency and retention is put back.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DescribeLogGroupsCommand, ListTagsForResourceCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DeleteFunctionConcurrencyCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { buildBundle, zipFiles } from '../../src/bundle.js';
import { LOCAL_ACCOUNT, TEST_SOURCE_KEY, localClients, mutatingCalls, resetLocal, runCli } from '../support/helpers.js';

const stack = 'fncheck';
const FunctionName = `${stack}-ingest`;
const aws = localClients();
const { lambda, logs } = aws;
const SOURCE = 'https://api.example.com/v1/weather?city=London';

let keyArn: string;

async function converge(extra: string[] = []) {
  const run = await runCli(['setup', '--stack', stack, '--verbose', ...extra]);
  expect(run.code, run.stderr).toBe(0);
  return run;
}

beforeAll(async () => {
  await resetLocal();
  const run = await runCli(['setup', '--stack', stack, '--source-url', SOURCE, '--api-key-env', 'TEST_SOURCE_KEY'], { env: { TEST_SOURCE_KEY } });
  expect(run.code, run.stderr).toBe(0);
  keyArn = (await aws.kms.send(new DescribeKeyCommand({ KeyId: `alias/${stack}` }))).KeyMetadata?.Arn as string;
});

describe('the deployed function', () => {
  it('runs the intended configuration, with only non-secret settings in its environment', async () => {
    const fn = await lambda.send(new GetFunctionCommand({ FunctionName }));
    const c = fn.Configuration;
    expect(c).toMatchObject({
      Runtime: 'nodejs24.x',
      Role: `arn:aws:iam::${LOCAL_ACCOUNT}:role/bridge/${stack}-ingest-role-us-east-1`,
      Handler: 'index.handler',
      Timeout: 25,
      MemorySize: 256,
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
    });
    expect(c?.Environment?.Variables).toEqual({
      BRIDGE_BUCKET: `${stack}-${LOCAL_ACCOUNT}-us-east-1`,
      BRIDGE_DATA_PREFIX: 'raw/',
      API_URL: SOURCE,
      API_KEY_PARAMETER: `/${stack}/source/api-key`,
      // Not OpenWeatherMap: a bearer token by default.
      API_KEY_IN: 'header:Authorization',
      BRIDGE_KMS_KEY_ARN: keyArn,
    });
    expect(JSON.stringify(c?.Environment)).not.toContain(TEST_SOURCE_KEY);
    expect(fn.Tags).toMatchObject({ 'bridge:stack': stack });
    expect((await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName }))).ReservedConcurrentExecutions).toBe(2);
  });

  it('holds exactly the local bundle (CodeSha256 equals its hash)', async () => {
    const c = (await lambda.send(new GetFunctionCommand({ FunctionName }))).Configuration;
    expect(c?.CodeSha256).toBe((await buildBundle()).codeSha256);
  });

  it('writes to a log group made first: retention 365 days, encrypted with the stack key, tagged', async () => {
    const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/aws/lambda/${FunctionName}` }));
    expect(groups.logGroups).toHaveLength(1);
    expect(groups.logGroups?.[0]).toMatchObject({ retentionInDays: 365, kmsKeyId: keyArn });
    const tags = await logs.send(new ListTagsForResourceCommand({ resourceArn: `arn:aws:logs:us-east-1:${LOCAL_ACCOUNT}:log-group:/aws/lambda/${FunctionName}` }));
    expect(tags.tags).toMatchObject({ 'bridge:stack': stack });
  });
});

describe('a second setup', () => {
  it('uploads nothing and changes nothing, keeping the source URL and key placement it was given first', async () => {
    const run = await converge();
    expect(mutatingCalls(run)).toEqual([]);
    expect(run.stderr).toMatch(/^aws lambda GetFunction$/m);
  });
});

describe('setup repairs function drift', () => {
  it('code replaced: uploads the bundle again, and only that', async () => {
    const other = await zipFiles([{ name: 'index.js', content: Buffer.from('export const handler = async () => "not bridge";\n') }]);
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName, ZipFile: other, Architectures: ['arm64'] }));
    const run = await converge();
    expect(run.stdout).toMatch(/^\s+code: \S+ -> \S+$/m);
    expect(mutatingCalls(run)).toEqual(['lambda:UpdateFunctionCode']);
    expect((await lambda.send(new GetFunctionCommand({ FunctionName }))).Configuration?.CodeSha256).toBe((await buildBundle()).codeSha256);
  });

  it('a secret put in the environment: removed, and named without its value', async () => {
    const c = (await lambda.send(new GetFunctionCommand({ FunctionName }))).Configuration;
    await lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName, Environment: { Variables: { ...c?.Environment?.Variables, API_KEY: 'plaintext-key-9911' } }, Timeout: 3 }),
    );
    const run = await converge();
    expect(run.stdout).toContain("- API_KEY (not bridge's: removed)");
    expect(run.stdout).toContain('timeout: 3 -> 25');
    expect(run.stdout + run.stderr).not.toContain('plaintext-key-9911');
    expect(mutatingCalls(run)).toEqual(['lambda:UpdateFunctionConfiguration']);
    const after = (await lambda.send(new GetFunctionCommand({ FunctionName }))).Configuration;
    expect(after?.Environment?.Variables?.API_KEY).toBeUndefined();
    expect(after?.Timeout).toBe(25);
  });

  it('reserved concurrency removed, and log retention changed', async () => {
    await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName }));
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: `/aws/lambda/${FunctionName}`, retentionInDays: 1 }));
    const run = await converge();
    expect(run.stdout).toContain('reserved-concurrency: none -> 2');
    expect(run.stdout).toContain('retention: 1 days -> 365 days');
    expect(mutatingCalls(run).sort()).toEqual(['lambda:PutFunctionConcurrency', 'logs:PutRetentionPolicy']);
  });

  it('new settings given on the command line are applied', async () => {
    const run = await converge(['--function-memory', '512', '--reserved-concurrency', '1', '--log-retention-days', '30']);
    // Retention applies to the stack's three log groups; the stage's throttling follows the reservation.
    expect(mutatingCalls(run).sort()).toEqual([
      'apigateway:UpdateStage',
      'lambda:PutFunctionConcurrency',
      'lambda:UpdateFunctionConfiguration',
      'logs:PutRetentionPolicy',
      'logs:PutRetentionPolicy',
      'logs:PutRetentionPolicy',
    ]);
    expect((await lambda.send(new GetFunctionCommand({ FunctionName }))).Configuration?.MemorySize).toBe(512);
  });
});
