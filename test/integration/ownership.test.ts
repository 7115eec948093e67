/**
 * bridge changes only what carries its tag: a same-named resource without it is refused with a
 * clear error and nothing anywhere is changed. An interrupted first run converges to one key.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { CreateGroupCommand, CreateRoleCommand, CreateUserCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import { CreateAliasCommand, CreateKeyCommand, ListAliasesCommand, ListKeysCommand, ListResourceTagsCommand } from '@aws-sdk/client-kms';
import { PassThrough } from 'node:stream';
import { CreateBucketCommand, GetBucketTaggingCommand, GetBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { main } from '../../src/cli.js';
import type { Io } from '../../src/output.js';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { awsError, startAwsProxy } from '../support/aws-proxy.js';
import { LOCAL_ACCOUNT, TEST_SOURCE_KEY, localClients, mutatingCalls, resetLocal, runCli, setupArgs } from '../support/helpers.js';

const aws = localClients();
const env = { TEST_SOURCE_KEY };

beforeEach(async () => {
  await resetLocal();
});

async function refused(stack: string, message: RegExp, extra: string[] = []) {
  const run = await runCli([...setupArgs(stack, extra), '--verbose'], { env });
  expect(run.code).toBe(2);
  const errorLines = run.stderr.split('\n').filter((line) => line.startsWith('error:'));
  expect(errorLines).toHaveLength(1);
  expect(errorLines[0]).toMatch(message);
  expect(mutatingCalls(run)).toEqual([]);
  return run;
}

describe('a same-named resource without the stack tag is never modified', () => {
  it('an untagged bucket', async () => {
    await aws.s3.send(new CreateBucketCommand({ Bucket: `theirs-${LOCAL_ACCOUNT}-us-east-1` }));
    await refused('theirs', /S3 bucket 'theirs-123456789012-us-east-1' exists but is not tagged bridge:stack.*--bucket/);
    expect((await aws.s3.send(new GetBucketVersioningCommand({ Bucket: `theirs-${LOCAL_ACCOUNT}-us-east-1` }))).Status).toBeUndefined();
  });

  it('an untagged execution role', async () => {
    await aws.iam.send(new CreateRoleCommand({ RoleName: 'theirs-ingest-role-us-east-1', AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}' }));
    await refused('theirs', /IAM role 'theirs-ingest-role-us-east-1' exists but is not tagged/);
  });

  it('an untagged operator user, and a group outside the /bridge/ path', async () => {
    await aws.iam.send(new CreateUserCommand({ UserName: 'theirs-operator-us-east-1' }));
    await refused('theirs', /IAM user 'theirs-operator-us-east-1'/);
    await resetLocal();
    await aws.iam.send(new CreateGroupCommand({ GroupName: 'theirs-operators-us-east-1' }));
    await refused('theirs', /IAM group 'theirs-operators-us-east-1'.*\/bridge\/ path/);
  });

  it('an alias pointing to an untagged key', async () => {
    const key = await aws.kms.send(new CreateKeyCommand({}));
    await aws.kms.send(new CreateAliasCommand({ AliasName: 'alias/theirs', TargetKeyId: key.KeyMetadata?.KeyId }));
    await refused('theirs', /KMS key 'alias\/theirs' exists but is not tagged/);
  });

  it('an untagged parameter', async () => {
    await aws.ssm.send(new PutParameterCommand({ Name: '/theirs/source/api-key', Value: 'x', Type: 'String' }));
    await refused('theirs', /SSM parameter '\/theirs\/source\/api-key'/);
  });

  it("--bucket naming another stack's bucket", async () => {
    const first = await runCli(setupArgs('alpha'), { env });
    expect(first.code, first.stderr).toBe(0);
    await refused('bravo', /S3 bucket 'alpha-123456789012-us-east-1' exists but is not tagged bridge:stack for this stack/, ['--bucket', 'alpha-123456789012-us-east-1']);
  });
});

async function keysTaggedFor(stack: string): Promise<string[]> {
  const keys = (await aws.kms.send(new ListKeysCommand({}))).Keys ?? [];
  const tagged: string[] = [];
  for (const key of keys) {
    const tags = (await aws.kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId }))).Tags ?? [];
    if (tags.some((t) => t.TagKey === 'bridge:stack' && t.TagValue === stack)) tagged.push(key.KeyId as string);
  }
  return tagged;
}

describe('a run killed between CreateKey and CreateAlias', () => {
  it('is adopted on the next run: one key, aliased, no second CreateKey', async () => {
    // What the interrupted run left: a tagged key with no alias, nothing else.
    const orphan = await aws.kms.send(new CreateKeyCommand({ Tags: [{ TagKey: 'bridge:stack', TagValue: 'resumed' }] }));
    const run = await runCli([...setupArgs('resumed'), '--verbose'], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(mutatingCalls(run)).not.toContain('kms:CreateKey');
    expect(await keysTaggedFor('resumed')).toEqual([orphan.KeyMetadata?.KeyId]);
    const aliases = (await aws.kms.send(new ListAliasesCommand({}))).Aliases ?? [];
    expect(aliases.find((a) => a.AliasName === 'alias/resumed')?.TargetKeyId).toBe(orphan.KeyMetadata?.KeyId);
    expect(run.stdout).toContain('alias: missing -> set');
    // Found by its tag through the Resource Groups Tagging API, without scanning the region's keys.
    expect(run.stderr).toMatch(/^aws tagging GetResources$/m);
    expect(run.stderr).not.toMatch(/^aws kms ListKeys$/m);
  });

  it('is found by scanning the keys when the caller may not use the tagging API', async () => {
    const orphan = await aws.kms.send(new CreateKeyCommand({ Tags: [{ TagKey: 'bridge:stack', TagValue: 'scanned' }] }));
    // The tagging API's answer to a caller without tag:GetResources.
    const proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL as string, [
      {
        service: 'tagging',
        operation: 'GetResources',
        respond: () =>
          awsError.json(400, 'AccessDeniedException', `User: arn:aws:iam::${LOCAL_ACCOUNT}:user/deployer is not authorized to perform: tag:GetResources because no identity-based policy allows the tag:GetResources action`),
      },
    ]);
    try {
      const run = await runCli([...setupArgs('scanned'), '--verbose', '--endpoint-url', proxy.endpoint], { env });
      expect(run.code, run.stderr).toBe(0);
      expect(proxy.answered).toEqual([1]);
      expect(run.stderr).toMatch(/^aws kms ListKeys$/m);
      expect(mutatingCalls(run)).not.toContain('kms:CreateKey');
      expect(await keysTaggedFor('scanned')).toEqual([orphan.KeyMetadata?.KeyId]);
    } finally {
      await proxy.close();
    }
  });
});

describe('a bucket an interrupted setup left untagged (empty, of the stack name, just created)', () => {
  const bucket = `left-${LOCAL_ACCOUNT}-us-east-1`;

  /** setup on a terminal that types `answer` once asked. */
  async function onTerminal(answer: string | null) {
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin });
    const stdout = new PassThrough().resume();
    const stderr = new PassThrough();
    let err = '';
    let answered = false;
    stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      // Once: the prompt echoes what is typed to stderr.
      if (answered || !/Type its name/.test(err)) return;
      answered = true;
      if (answer === null) stdin.end();
      else stdin.write(`${answer}\n`);
    });
    const io: Io = { stdin: stdin as unknown as NodeJS.ReadStream, stdout, stderr, env: { ...process.env, ...env } };
    const code = await main(['node', 'bridge', ...setupArgs('left'), '--verbose'], io);
    return { code, stderr: err };
  }

  const tagged = async () => (await aws.s3.send(new GetBucketTaggingCommand({ Bucket: bucket })).catch(() => ({ TagSet: [] }))).TagSet ?? [];

  beforeEach(async () => {
    await aws.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  it('is offered, never taken: without a terminal, setup says so and names --adopt', async () => {
    await refused('left', /S3 bucket 'left-123456789012-us-east-1' exists but is not tagged bridge:stack for this stack.*It is empty and was created .*: run setup again with --adopt to take it over/);
    expect(await tagged()).toEqual([]);
  });

  it('on a terminal, is taken over only when its name is typed', async () => {
    const wrong = await onTerminal('yes');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/found: S3 bucket 'left-123456789012-us-east-1' is not tagged for this stack, but it is empty and was created .*: an interrupted setup of this stack most likely left it\./);
    expect(wrong.stderr).toMatch(/error: left-123456789012-us-east-1 was not taken over: nothing was changed/);
    expect(mutatingCalls({ code: 2, stdout: '', stderr: wrong.stderr })).toEqual([]);
    expect(await tagged()).toEqual([]);

    const cancelled = await onTerminal(null);
    expect(cancelled.code).toBe(130);
    expect(cancelled.stderr).toMatch(/cancelled, nothing was changed/);

    const typed = await onTerminal(bucket);
    expect(typed.code, typed.stderr).toBe(0);
    expect(await tagged()).toContainEqual({ Key: 'bridge:stack', Value: 'left' });
  });

  it('is never offered once it holds data', async () => {
    await aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'someone/else.json', Body: '{}' }));
    const run = await refused('left', /S3 bucket 'left-123456789012-us-east-1' exists but is not tagged bridge:stack/, ['--adopt']);
    expect(run.stderr).not.toMatch(/--adopt to take it over/);
  });
});

describe('bad input is refused before any change, with exit 2 and one line', () => {
  it.each([
    [['setup', '--stack', 'Bad_Name'], /invalid stack name 'Bad_Name'/],
    [['setup', '--region', 'mars-1'], /invalid region 'mars-1'/],
    [['setup', '--bucket', 'UPPER'], /invalid --bucket 'UPPER'/],
    [['setup', '--data-prefix', '/raw'], /invalid data prefix/],
    [['setup', '--noncurrent-days', '0'], /invalid noncurrent version days/],
    [['setup', '--source-url', 'http://example.com/x'], /plain http is allowed only to loopback/],
    [['setup', '--source-url', 'https://api.example.com/x?appid=abc'], /looks like a credential/],
    [['setup', '--source-key-in', 'body:x'], /invalid key placement/],
    [['setup', '--api-key-env', 'NOT_SET_ANYWHERE'], /NOT_SET_ANYWHERE.*not set/],
    [['setup', '--endpoint-url', 'ftp://127.0.0.1'], /invalid endpoint URL/],
    [['setup', '--operator-access-key-file', '/no/such/folder/key'], /folder \/no\/such\/folder does not exist/],
    [['setup', '--config', '/no/such/bridge.config.json'], /config file .* does not exist/],
    [['setup', '--api-key-env', 'A', '--api-key-stdin'], /cannot be used with option/],
    [['setup', '--source-key-env', 'A', '--source-key-stdin'], /cannot be used with option/],
    [['setup', '--source-key-env', 'A', '--api-key-env', 'B'], /cannot be used with option/],
    [['setup', '--source-key-env', 'NOT_SET_ANYWHERE'], /NOT_SET_ANYWHERE \(from --source-key-env\) is not set/],
    [['setup', '--no-such-flag'], /unknown option/],
  ])('%j', async (args, message) => {
    const run = await runCli([...args, '--verbose']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(mutatingCalls(run)).toEqual([]);
  });

  it('the first setup without a key or URL exits 2 naming both, and creates nothing', async () => {
    const run = await runCli(['setup', '--stack', 'fresh', '--verbose']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/first setup of stack 'fresh' needs the source API key .* and the source URL/);
    expect(mutatingCalls(run)).toEqual([]);
    await expect(aws.iam.send(new GetRoleCommand({ RoleName: 'fresh-ingest-role-us-east-1' }))).rejects.toThrow();
  });

  it('an endpoint that does not answer', async () => {
    const run = await runCli(['setup', '--endpoint-url', 'http://127.0.0.1:9']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/http:\/\/127\.0\.0\.1:9 does not answer \(ECONNREFUSED\): start the local AWS/);
  });

  it('the key piped on stdin is used and never printed (--source-key-stdin, and its first name --api-key-stdin)', async () => {
    const run = await runCli(['setup', '--stack', 'piped', '--source-url', 'https://api.example.com/weather', '--source-key-stdin'], { stdin: 'piped-secret-123\n' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout + run.stderr).not.toContain('piped-secret-123');
    // The old spelling still gives the key: a new one, so the stored parameter changes.
    const again = await runCli(['setup', '--stack', 'piped', '--api-key-stdin', '--verbose'], { stdin: 'piped-secret-456\n' });
    expect(again.code, again.stderr).toBe(0);
    expect(mutatingCalls(again)).toContain('ssm:PutParameter');
    expect(again.stdout + again.stderr).not.toContain('piped-secret-456');
  });
});
