/**
 * An account with a low Lambda concurrency quota (new accounts get 10). Lambda keeps 100
 * executions unreserved, or the whole limit where it is lower, and refuses a reservation that
 * eats into them: InvalidParameterValueException "Specified ReservedConcurrentExecutions for
 * function decreases account's UnreservedConcurrentExecution below its minimum value of [N]."
 * (Lambda developer guide, "Configuring reserved concurrency").
 *
 * The local AWS models the refusal with MOTO_LAMBDA_CONCURRENCY_QUOTA (a server of its own, as it
 * is server-wide). It does not implement GetAccountSettings (404), so the proxy answers it as
 * Lambda does for such an account (API reference, GetAccountSettings: AccountLimit with
 * ConcurrentExecutions and UnreservedConcurrentExecutions).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetFunctionConcurrencyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { startLocalAws, type LocalAws } from '../../src/local/moto.js';
import { startAwsProxy, type AwsProxy } from '../support/aws-proxy.js';
import { TEST_SOURCE_KEY, mutatingCalls, runCli, setupArgs } from '../support/helpers.js';

const stack = 'lowquota';
let local: LocalAws;
let proxy: AwsProxy;

const accountSettings = {
  AccountLimit: { CodeSizeUnzipped: 262144000, CodeSizeZipped: 52428800, ConcurrentExecutions: 10, TotalCodeSize: 80530636800, UnreservedConcurrentExecutions: 10 },
  AccountUsage: { FunctionCount: 1, TotalCodeSize: 4096 },
};

beforeAll(async () => {
  local = await startLocalAws({ env: { MOTO_LAMBDA_CONCURRENCY_QUOTA: '10' } });
  proxy = await startAwsProxy(local.endpoint, [
    {
      service: 'lambda',
      operation: /^GET \/2016-08-19\/account-settings\/?$/,
      respond: () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(accountSettings) }),
    },
  ]);
});

afterAll(async () => {
  await proxy?.close();
  await local?.stop();
});

const setup = (extra: string[] = []) => runCli([...setupArgs(stack, ['--endpoint-url', proxy.endpoint, '--verbose', ...extra])], { env: { TEST_SOURCE_KEY } });

describe('setup on an account whose concurrency quota leaves no room for a reservation', () => {
  it('completes the whole stack, API included, and says in one line that the reservation was skipped and how to lift it', async () => {
    const run = await setup();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/REST API/);
    expect(run.stderr).toMatch(/aws apigateway CreateDeployment/);
    const notes = run.stderr.split('\n').filter((line) => /reserved concurrency 2 skipped/.test(line));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/fewer than 100 unreserved executions/);
    expect(notes[0]).toMatch(/quota.*--reserved-concurrency none/);
    const lambda = new LambdaClient({ region: 'us-east-1', endpoint: local.endpoint });
    expect((await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: `${stack}-ingest` }))).ReservedConcurrentExecutions).toBeUndefined();
  });

  it('a second run makes no mutating call, and says why from the account settings', async () => {
    const run = await setup();
    expect(run.code, run.stderr).toBe(0);
    expect(mutatingCalls(run)).toEqual([]);
    expect(run.stderr).toMatch(/reserved concurrency 2 skipped: the account's concurrency limit is 10 with 10 unreserved, and Lambda keeps 10 unreserved/);
  });

  it('the audit reports the missing reservation with its cause, not as a pass', async () => {
    const run = await runCli(['audit', '--stack', stack, '--endpoint-url', proxy.endpoint, '--json']);
    const result = (JSON.parse(run.stdout) as { results: { id: string; status: string; detail: string }[] }).results.find((r) => r.id === 'lambda-concurrency');
    expect(result?.status).toBe('FAIL');
    expect(result?.detail).toMatch(/concurrency limit of 10 leaves no room for 2/);
  });

  it('--reserved-concurrency none is accepted, and then nothing is noted', async () => {
    const run = await setup(['--reserved-concurrency', 'none']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/skipped/);
    // Without a reservation the stage's throttling goes back to its own defaults (10/s, burst 20).
    expect(mutatingCalls(run)).toEqual(['apigateway:UpdateStage']);
    expect(run.stdout).toContain('throttling: 2/s burst 2 -> 10/s burst 20');
    const again = await setup(['--reserved-concurrency', 'none']);
    expect(mutatingCalls(again)).toEqual([]);
  });
});
