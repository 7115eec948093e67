/**
 * What an attacker (or a hurried colleague) can add to a stack that no policy document shows: a KMS
 * grant on the stack key, a user slipped into the operators group, a second API of the stack's name.
 * Each is caught by the audit (exit 3); the group's extra member is never removed silently; and a
 * source moved to another host does not quietly receive the stored key.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateRestApiCommand } from '@aws-sdk/client-api-gateway';
import { AddUserToGroupCommand, CreateRoleCommand, CreateUserCommand, GetUserCommand } from '@aws-sdk/client-iam';
import { CreateGrantCommand, DescribeKeyCommand, RevokeGrantCommand } from '@aws-sdk/client-kms';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { main } from '../../src/cli.js';
import type { Io } from '../../src/output.js';
import { TEST_SOURCE_KEY, localClients, resetLocal, runCli, setupArgs } from '../support/helpers.js';

const stack = 'spots';
const aws = localClients();

interface Result {
  id: string;
  status: string;
  detail: string;
}

async function audit(): Promise<{ code: number; results: Map<string, Result> }> {
  const run = await runCli(['audit', '--stack', stack, '--json']);
  const results = (JSON.parse(run.stdout) as { results: Result[] }).results;
  return { code: run.code, results: new Map(results.map((r) => [r.id, r])) };
}

beforeAll(async () => {
  await resetLocal();
  const setup = await runCli(setupArgs(stack, ['--configure-account-logging']), { env: { TEST_SOURCE_KEY } });
  expect(setup.code, setup.stderr).toBe(0);
});

afterAll(async () => {
  await resetLocal();
});

describe('a fresh stack', () => {
  it('passes the three controls, judged from real reads', async () => {
    const { code, results } = await audit();
    expect(code).toBe(0);
    expect(results.get('kms-no-grants')).toMatchObject({ status: 'PASS', detail: 'no grants' });
    expect(results.get('iam-operators-members')).toMatchObject({ status: 'PASS', detail: `only ${stack}-operator-us-east-1` });
    expect(results.get('stack-no-duplicates')).toMatchObject({ status: 'PASS', detail: 'one of each, nothing else tagged for the stack' });
  });
});

describe('a KMS grant on the stack key', () => {
  it('is a finding naming the grantee and what it may do; revoked, the audit passes again', async () => {
    const keyId = (await aws.kms.send(new DescribeKeyCommand({ KeyId: `alias/${stack}` }))).KeyMetadata?.KeyId as string;
    const grantee = (await aws.iam.send(new CreateRoleCommand({ RoleName: 'grant-taker', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }) }))).Role?.Arn as string;
    const { GrantId } = await aws.kms.send(new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: grantee, Operations: ['Decrypt'], Name: 'quiet-access' }));
    const { code, results } = await audit();
    expect(code).toBe(3);
    expect(results.get('kms-no-grants')?.status).toBe('FAIL');
    expect(results.get('kms-no-grants')?.detail).toBe(`1 grant on the key: grant ${(GrantId as string).slice(0, 8)} (name quiet-access) lets ${grantee} Decrypt with any encryption context`);
    await aws.kms.send(new RevokeGrantCommand({ KeyId: keyId, GrantId }));
    expect((await audit()).results.get('kms-no-grants')?.status).toBe('PASS');
  });
});

describe('a second REST API of the stack, tagged for it', () => {
  it('is a finding: nothing else audits or tears it down', async () => {
    const copy = await aws.apigateway.send(new CreateRestApiCommand({ name: `${stack}-api`, tags: { 'bridge:stack': stack } }));
    const { code, results } = await audit();
    expect(code).toBe(3);
    expect(results.get('stack-no-duplicates')).toMatchObject({ status: 'FAIL', detail: `a second REST API ${stack}-api: arn:aws:apigateway:us-east-1::/restapis/${copy.id}` });
  });
});

describe('a user slipped into the operators group', () => {
  const group = `${stack}-operators-us-east-1`;

  beforeAll(async () => {
    await aws.iam.send(new CreateUserCommand({ UserName: 'mallory' }));
    await aws.iam.send(new AddUserToGroupCommand({ GroupName: group, UserName: 'mallory' }));
  });

  it('is a finding', async () => {
    const { code, results } = await audit();
    expect(code).toBe(3);
    expect(results.get('iam-operators-members')).toMatchObject({ status: 'FAIL', detail: "1 other member read the stack's data and decrypt with its key through the group: mallory" });
  });

  it('stops an interactive teardown before its prompt: nothing removed without --yes', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin });
    const stdout = new PassThrough().resume();
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const io: Io = { stdin: stdin as unknown as NodeJS.ReadStream, stdout, stderr, env: process.env };
    const code = await main(['node', 'bridge', 'teardown', '--stack', stack], io);
    expect(code).toBe(2);
    expect(err).toMatch(new RegExp(`the operators group ${group} also holds 1 user the stack did not put there \\(mallory\\); teardown would take them out of it with the group\\. Nothing was removed: .* --yes to go on`));
    expect(err).not.toMatch(/Type the stack name/);
    await expect(aws.ssm.send(new GetParameterCommand({ Name: `/${stack}/source/api-key` }))).resolves.toBeTruthy();
  });

  it('is named in the dry run, and --yes takes them out of the group but keeps the user', async () => {
    const dry = await runCli(['teardown', '--stack', stack, '--dry-run', '--json']);
    const removed = (JSON.parse(dry.stdout) as { removed: { resource: string; note?: string }[] }).removed;
    expect(removed.find((r) => r.resource === 'operators')?.note).toBe('other members would be taken out of the group: mallory');
    const run = await runCli(['teardown', '--stack', stack, '--yes']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/1 other member taken out of the group \(mallory\)/);
    await expect(aws.iam.send(new GetUserCommand({ UserName: 'mallory' }))).resolves.toMatchObject({ User: { UserName: 'mallory' } });
  });
});

describe('a source URL moved to another host', () => {
  const moved = ['--source-url', 'https://collector.example.net/v1/weather'];

  beforeAll(async () => {
    await resetLocal();
    expect((await runCli(setupArgs('moving'), { env: { TEST_SOURCE_KEY } })).code).toBe(0);
  });

  it('needs the key for the new host, or --keep-source-key: refused before any change', async () => {
    const run = await runCli(['setup', '--stack', 'moving', ...moved, '--verbose']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /--source-url moves the source from api\.openweathermap\.org to collector\.example\.net, and the stored key was given for api\.openweathermap\.org: give the key for collector\.example\.net \(--source-key-env NAME or --source-key-stdin\), or pass --keep-source-key/,
    );
    expect(run.stderr).not.toMatch(/^aws \w+ (Put|Create|Update|Delete)/m);
  });

  it('goes ahead with --keep-source-key, or with a new key', async () => {
    const kept = await runCli(['setup', '--stack', 'moving', ...moved, '--keep-source-key']);
    expect(kept.code, kept.stderr).toBe(0);
    const back = await runCli(['setup', '--stack', 'moving', '--source-url', 'https://api.openweathermap.org/data/2.5/weather?q=Paris', '--api-key-env', 'NEW_KEY'], { env: { NEW_KEY: 'owm-new-key-1234abcd' } });
    expect(back.code, back.stderr).toBe(0);
    const stored = await aws.ssm.send(new GetParameterCommand({ Name: '/moving/source/api-key', WithDecryption: true }));
    expect(stored.Parameter?.Value).toBe('owm-new-key-1234abcd');
  });
});
