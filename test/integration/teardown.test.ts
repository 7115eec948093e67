/**
 * Teardown removes exactly what the stack owns: data (object versions, logs, the key they need)
 * stays unless --delete-data, the key is only scheduled for deletion, a rerun finishes the job,
 * and what is not tagged for the stack is left alone.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetRestApisCommand } from '@aws-sdk/client-api-gateway';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetRoleCommand, GetUserCommand, GetGroupCommand } from '@aws-sdk/client-iam';
import { DescribeKeyCommand, ListAliasesCommand } from '@aws-sdk/client-kms';
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, DeleteObjectCommand, HeadBucketCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { startSampleSource, type SampleSource } from '../../src/local/sample-source.js';
import { LOCAL_ACCOUNT, TEST_SOURCE_KEY, localClients, mutatingCalls, resetLocal, runCli } from '../support/helpers.js';

const stack = 'downcheck';
const Bucket = `${stack}-${LOCAL_ACCOUNT}-us-east-1`;
const aws = localClients();
const { lambda, apigateway: apigw, logs } = aws;
let source: SampleSource;
let keyId: string;

const gone = (promise: Promise<unknown>) => expect(promise).rejects.toThrow();

async function versions(): Promise<number> {
  const page = await aws.s3.send(new ListObjectVersionsCommand({ Bucket }));
  return (page.Versions?.length ?? 0) + (page.DeleteMarkers?.length ?? 0);
}

async function logGroups(): Promise<string[]> {
  const groups = await logs.send(new DescribeLogGroupsCommand({}));
  return (groups.logGroups ?? []).map((g) => g.logGroupName as string).filter((n) => n.includes(stack) || n.startsWith('API-Gateway-Execution-Logs_'));
}

async function setUp() {
  const keyFile = join(mkdtempSync(join(tmpdir(), 'bridge-down-')), 'operator.credentials');
  const run = await runCli(
    ['setup', '--stack', stack, '--source-url', source.weatherUrl, '--source-key-in', 'query:appid', '--api-key-env', 'TEST_SOURCE_KEY', '--operator-access-key-file', keyFile],
    { env: { TEST_SOURCE_KEY } },
  );
  expect(run.code, run.stderr).toBe(0);
}

beforeAll(async () => {
  await resetLocal();
  source = await startSampleSource({ apiKey: TEST_SOURCE_KEY });
  await setUp();
  for (let i = 0; i < 2; i++) expect((await runCli(['invoke', '--stack', stack, '--local'])).code).toBe(0);
  // A delete marker too: teardown --delete-data must remove those as well.
  const first = (await aws.s3.send(new ListObjectVersionsCommand({ Bucket }))).Versions?.[0]?.Key;
  await aws.s3.send(new DeleteObjectCommand({ Bucket, Key: first }));
  keyId = (await aws.kms.send(new DescribeKeyCommand({ KeyId: `alias/${stack}` }))).KeyMetadata?.KeyId as string;
});

afterAll(async () => {
  await source?.stop();
});

describe('confirmation', () => {
  it('without a terminal and without --yes: exit 2, nothing removed, no AWS call', async () => {
    const run = await runCli(['teardown', '--stack', stack, '--verbose']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/without a terminal to confirm in, pass --yes \(nothing was removed\)/);
    expect(mutatingCalls(run)).toEqual([]);
    expect((await aws.iam.send(new GetRoleCommand({ RoleName: `${stack}-ingest-role-us-east-1` }))).Role).toBeDefined();
  });

  it('--dry-run lists what would go and stay, and changes nothing', async () => {
    const run = await runCli(['teardown', '--stack', stack, '--dry-run', '--verbose']);
    expect(run.code, run.stderr).toBe(0);
    expect(mutatingCalls(run)).toEqual([]);
    expect(run.stdout).toMatch(/S3 bucket +downcheck-123456789012-us-east-1 +would be retained: holds 3 object versions and delete markers/);
    expect(run.stdout).toContain('Would remove 5, retained 5, already gone 4.');
    // With the data: how much of it goes for good, and when the key does.
    const data = await runCli(['teardown', '--stack', stack, '--dry-run', '--delete-data']);
    expect(data.code, data.stderr).toBe(0);
    expect(mutatingCalls(data)).toEqual([]);
    expect(data.stdout).toMatch(/S3 bucket +downcheck-123456789012-us-east-1 +would remove: with its 3 object versions and delete markers, destroyed for good/);
    expect(data.stdout).toMatch(/KMS key +alias\/downcheck +would remove: deletion scheduled for \d{4}-\d{2}-\d{2} \(in \d+ days; aws kms cancel-key-deletion stops it until then\)/);
  });
});

describe('teardown without --delete-data', () => {
  let json: { removed: { resource: string }[]; retained: { resource: string; reason: string }[]; absent: { resource: string }[] };

  beforeAll(async () => {
    const run = await runCli(['teardown', '--stack', stack, '--yes', '--json']);
    expect(run.code, run.stderr).toBe(0);
    json = JSON.parse(run.stdout);
  });

  it('removes the API, function, parameter, operators and role; keeps the bucket with every version, the logs and the key', async () => {
    expect(json.removed.map((r) => r.resource)).toEqual(['function', 'source-api-key', 'operators', 'execution-role', 'rest-api']);
    expect(json.retained.map((r) => r.resource).sort()).toEqual(['api-execution-log-group', 'api-log-group', 'bucket', 'function-log-group', 'kms-key']);
    expect(json.retained.find((r) => r.resource === 'bucket')?.reason).toMatch(/holds 3 object versions/);
    expect(await versions()).toBe(3);
    expect((await aws.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe('Enabled');
    const kept = (await logGroups()).sort();
    expect(kept).toHaveLength(3);
    expect(kept.slice(0, 2)).toEqual([`/aws/apigateway/${stack}-api`, `/aws/lambda/${stack}-ingest`]);
    expect(kept[2]).toMatch(/^API-Gateway-Execution-Logs_\w+\/prod$/);
    await gone(lambda.send(new GetFunctionCommand({ FunctionName: `${stack}-ingest` })));
    await gone(aws.iam.send(new GetRoleCommand({ RoleName: `${stack}-ingest-role-us-east-1` })));
    await gone(aws.iam.send(new GetUserCommand({ UserName: `${stack}-operator-us-east-1` })));
    await gone(aws.iam.send(new GetGroupCommand({ GroupName: `${stack}-operators-us-east-1` })));
    await gone(aws.ssm.send(new GetParameterCommand({ Name: `/${stack}/source/api-key` })));
    expect((await apigw.send(new GetRestApisCommand({}))).items?.some((a) => a.name === `${stack}-api`)).toBe(false);
  });

  it('run again: exit 0, saying what is already gone', async () => {
    const run = await runCli(['teardown', '--stack', stack, '--yes', '--verbose']);
    expect(run.code, run.stderr).toBe(0);
    expect(mutatingCalls(run)).toEqual([]);
    expect(run.stdout).toMatch(/Lambda function +downcheck-ingest +already gone/);
    // The API is gone, so its execution logs are found by their tag, and kept with the data.
    expect(run.stdout).toMatch(/API execution log group +API-Gateway-Execution-Logs_\w+\/prod +retained/);
    expect(run.stdout).toContain('Removed 0, retained 5, already gone 9.');
  });

  it('setup brings the stack back on the kept bucket, key and logs', async () => {
    await setUp();
    expect((await aws.kms.send(new DescribeKeyCommand({ KeyId: `alias/${stack}` }))).KeyMetadata?.KeyId).toBe(keyId);
    expect(await versions()).toBe(3);
    const audit = JSON.parse((await runCli(['audit', '--stack', stack, '--json'])).stdout);
    // Only the stage logging waits (no account CloudWatch role in this test): everything else holds
    // (the schedule's controls skip: this stack has none).
    expect(audit.results.filter((r: { status: string }) => r.status === 'FAIL' || r.status === 'ERROR').map((r: { id: string }) => r.id)).toEqual(['api-access-logging', 'api-execution-logging']);
  });
});

describe('teardown --delete-data', () => {
  let run: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    run = await runCli(['teardown', '--stack', stack, '--yes', '--delete-data', '--key-deletion-days', '7']);
  });

  it('removes every version and delete marker, the bucket and the log groups', async () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/S3 bucket +downcheck-123456789012-us-east-1 +removed: 3 object versions and delete markers deleted/);
    await gone(aws.s3.send(new HeadBucketCommand({ Bucket })));
    expect(await logGroups()).toEqual([]);
  });

  it('schedules the key for deletion after the waiting period, and says how to cancel', async () => {
    const key = (await aws.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
    expect(key?.KeyState).toBe('PendingDeletion');
    const days = ((key?.DeletionDate?.getTime() ?? 0) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6);
    expect(days).toBeLessThanOrEqual(7.01);
    expect(run.stdout).toContain(`deletion scheduled for ${key?.DeletionDate?.toISOString().slice(0, 10)}; to cancel: aws kms cancel-key-deletion --key-id ${keyId} --region us-east-1`);
    expect((await aws.kms.send(new ListAliasesCommand({}))).Aliases?.some((a) => a.AliasName === `alias/${stack}`)).toBe(false);
  });

  it('leaves nothing of the stack (the key only pending deletion), and a rerun exits 0', async () => {
    const again = await runCli(['teardown', '--stack', stack, '--yes', '--delete-data', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const json = JSON.parse(again.stdout);
    expect(json.removed).toEqual([]);
    expect(json.retained).toEqual([]);
    expect(json.absent.map((a: { resource: string }) => a.resource).sort()).toEqual(
      ['rest-api', 'api-key', 'api-log-group', 'bucket', 'execution-role', 'function', 'function-log-group', 'kms-key', 'operators', 'source-api-key', 'schedule', 'schedule-dlq', 'scheduler-role'].sort(),
    );
  });
});

describe('what is not the stack', () => {
  it('a same-named bucket without the tag survives, even with --delete-data', async () => {
    await aws.s3.send(new CreateBucketCommand({ Bucket: `keepme-${LOCAL_ACCOUNT}-us-east-1` }));
    const run = await runCli(['teardown', '--stack', 'keepme', '--yes', '--delete-data']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/S3 bucket +keepme-123456789012-us-east-1 +retained: not tagged for this stack: left alone/);
    const head = await aws.s3.send(new HeadBucketCommand({ Bucket: `keepme-${LOCAL_ACCOUNT}-us-east-1` }));
    expect(head.$metadata.httpStatusCode).toBe(200);
  });

  it('refuses a bad waiting period with exit 2', async () => {
    const run = await runCli(['teardown', '--stack', stack, '--yes', '--key-deletion-days', '3']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/KMS waits 7 to 30 days/);
  });
});

describe('in a terminal', () => {
  /** Runs bridge under a pseudo-terminal (util-linux script) and types `answer` at the prompt. */
  function inTerminal(args: string[], answer: string): Promise<{ code: number | null; output: string }> {
    const command = [process.execPath, new URL('../../bin/bridge.js', import.meta.url).pathname, ...args].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...process.env, CI: 'true' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c));
    child.stderr.on('data', (c: Buffer) => (output += c));
    const asked = setInterval(() => {
      if (output.includes('Type the stack name')) {
        clearInterval(asked);
        child.stdin.write(`${answer}\r`);
      }
    }, 50);
    return new Promise((resolve) => child.once('exit', (code) => (clearInterval(asked), resolve({ code, output }))));
  }

  it('asks for the stack name: a wrong answer removes nothing (exit 2), the right one proceeds', async () => {
    await setUp();
    const wrong = await inTerminal(['teardown', '--stack', stack], 'nope');
    expect(wrong.code).toBe(2);
    expect(wrong.output).toMatch(/the name typed does not match the stack: nothing was removed/);
    // As terraform destroy: where, then the plan of what goes and what stays, then the question.
    const plain = stripVTControlCharacters(wrong.output);
    const before = plain.slice(0, plain.indexOf('Type the stack name'));
    expect(before).toMatch(new RegExp(`^Stack ${stack} in us-east-1 \\(account 123456789012\\)`, 'm'));
    expect(before).toMatch(/^- Lambda function\s+\S+\s+would remove/m);
    expect(before).toMatch(/^[-=] S3 bucket\s+\S+\s+would (remove|be retained)/m);
    expect(wrong.output).toContain(`Type the stack name (${stack}) to remove it from us-east-1 (account 123456789012): `);
    expect((await aws.iam.send(new GetRoleCommand({ RoleName: `${stack}-ingest-role-us-east-1` }))).Role).toBeDefined();
    const right = await inTerminal(['teardown', '--stack', stack], stack);
    expect(right.code, right.output).toBe(0);
    await gone(aws.iam.send(new GetRoleCommand({ RoleName: `${stack}-ingest-role-us-east-1` })));
  });
});
