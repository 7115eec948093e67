/**
 * Two runs of one stack at once: the account-held lock (src/lock.ts) lets one change the stack at a
 * time. Real processes (the built CLI) through a proxy that adds AWS-like latency, so their reads
 * and writes interleave as two terminals or two CI jobs would; each run signs with its own access
 * key, so the proxy's log says which run sent what.
 */
import { systemClock } from '../../src/retry.js';
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GetRestApisCommand } from '@aws-sdk/client-api-gateway';
import { ListAliasesCommand } from '@aws-sdk/client-kms';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { AwsClients } from '../../src/aws.js';
import { BridgeError } from '../../src/errors.js';
import { acquireStackLock, thisHost } from '../../src/lock.js';
import type { LockHolder } from '../../src/lock-state.js';
import { stackNames } from '../../src/names.js';
import { resolveConfig } from '../../src/config.js';
import type { StackContext } from '../../src/resources/types.js';
import { isMutatingRequest, startAwsProxy, type AwsProxy, type ProxyRequest } from '../support/aws-proxy.js';
import { LOCAL_ACCOUNT, TEST_SOURCE_KEY, localClients, resetLocal, runCli, setupArgs } from '../support/helpers.js';

const BIN = new URL('../../bin/bridge.js', import.meta.url).pathname;
const stack = 'twice';
const aws = localClients();
let proxy: AwsProxy;

beforeAll(async () => {
  proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL as string);
});

afterAll(async () => {
  await proxy?.close();
});

beforeEach(async () => {
  await resetLocal();
  proxy.rules.length = 0;
  proxy.requests.length = 0;
});

/** Every request takes a little while, as on AWS, so two runs started together overlap. */
function withLatency(ms: number): void {
  proxy.rules.push({ service: '*', operation: /.*/, respond: async (_request, forward) => (await new Promise((r) => setTimeout(r, ms)), forward()) });
}

interface Run {
  code: number | null;
  stderr: string;
}

function runBridge(args: string[], accessKey: string): Promise<Run> {
  const child = spawn(process.execPath, [BIN, ...args, '--endpoint-url', proxy.endpoint], {
    env: { ...process.env, TEST_SOURCE_KEY, NO_COLOR: '1', AWS_ACCESS_KEY_ID: accessKey },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

const signedBy = (accessKey: string) => (request: ProxyRequest) => String(request.headers.authorization ?? '').includes(`Credential=${accessKey}/`);
const isLockWrite = (request: ProxyRequest) => request.operation === 'PutParameter' && request.body.includes(`"/${stack}/lock"`);

async function census() {
  return {
    aliases: ((await aws.kms.send(new ListAliasesCommand({}))).Aliases ?? []).filter((a) => a.AliasName === `alias/${stack}`).length,
    buckets: ((await aws.s3.send(new ListBucketsCommand({}))).Buckets ?? []).filter((b) => b.Name?.startsWith(`${stack}-`)).length,
    apis: ((await aws.apigateway.send(new GetRestApisCommand({ limit: 500 }))).items ?? []).filter((a) => a.name === `${stack}-api`).length,
  };
}

/** The lock's holder while a run holds it; null when released or absent. */
async function heldBy(): Promise<string | null> {
  const value = await lockValue();
  const holder = value ? (JSON.parse(value) as { id: string; released?: string }) : null;
  return holder && !holder.released ? holder.id : null;
}

async function lockValue(): Promise<string | null> {
  try {
    return (await aws.ssm.send(new GetParameterCommand({ Name: `/${stack}/lock` }))).Parameter?.Value ?? null;
  } catch {
    return null;
  }
}

async function changesPending(): Promise<string[]> {
  const plan = await runCli([...setupArgs(stack), '--dry-run', '--json'], { env: { TEST_SOURCE_KEY } });
  return (JSON.parse(plan.stdout) as { changes: { resource: string; action: string }[] }).changes.filter((c) => c.action !== 'noop').map((c) => c.resource);
}

/** A pid that no longer runs on this host: what a SIGKILLed run leaves behind. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid as number;
}

async function plantLock(holder: Partial<LockHolder>): Promise<string> {
  const value = JSON.stringify({ bridge: 'lock', id: 'a1b2c3d4-0000-4000-8000-000000000000', command: 'setup', who: 'ana@elsewhere', host: 'elsewhere', pid: 4242, started: new Date().toISOString(), version: '1.0.0', ...holder });
  await aws.ssm.send(new PutParameterCommand({ Name: `/${stack}/lock`, Type: 'String', Value: value, Overwrite: true }));
  return value;
}

describe('two setups of one stack started at once', () => {
  it('end with one of each resource: the second says the first is in progress and changes nothing', async () => {
    withLatency(15);
    const [first, second] = await Promise.all([runBridge(setupArgs(stack), 'testing-first'), runBridge(setupArgs(stack), 'testing-second')]);
    const runs = [{ key: 'testing-first', ...first }, { key: 'testing-second', ...second }];
    expect(runs.filter((r) => r.code === 0).length, runs.map((r) => r.stderr).join('\n---\n')).toBeGreaterThanOrEqual(1);
    for (const loser of runs.filter((r) => r.code !== 0)) {
      expect(loser.code).toBe(1);
      expect(loser.stderr).toMatch(/stack twice is being changed by another bridge run \(setup by .*\); nothing was changed/);
      // Its only write was its attempt at the lock.
      const writes = proxy.requests.filter(signedBy(loser.key)).filter(isMutatingRequest);
      expect(writes.every(isLockWrite), writes.map((w) => `${w.operation} ${w.body.slice(0, 80)}`).join(', ')).toBe(true);
    }
    proxy.rules.length = 0;
    expect(await census()).toEqual({ aliases: 1, buckets: 1, apis: 1 });
    expect(await changesPending()).toEqual([]);
    expect(await heldBy()).toBeNull();
  }, 120_000);

  it('with --lock-timeout both finish, one after the other, and the stack is still one of each', async () => {
    withLatency(15);
    const args = [...setupArgs(stack), '--lock-timeout', '2m'];
    const runs = await Promise.all([runBridge(args, 'testing-first'), runBridge(args, 'testing-second')]);
    expect(runs.map((r) => r.code), runs.map((r) => r.stderr).join('\n---\n')).toEqual([0, 0]);
    proxy.rules.length = 0;
    expect(await census()).toEqual({ aliases: 1, buckets: 1, apis: 1 });
    expect(await changesPending()).toEqual([]);
    expect(await heldBy()).toBeNull();
  }, 180_000);
});

describe('a lock someone holds', () => {
  it('held by a live run elsewhere stops setup before any change, and is left as it was', async () => {
    const planted = await plantLock({});
    const run = await runCli([...setupArgs(stack), '--endpoint-url', proxy.endpoint], { env: { TEST_SOURCE_KEY } });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/stack twice is being changed by another bridge run \(setup by ana@elsewhere, pid 4242, started \d+s ago, lock a1b2c3d4\); nothing was changed: run again once it finishes, or pass --lock-timeout 5m/);
    expect(proxy.requests.filter(isMutatingRequest).map((r) => r.operation)).toEqual([]);
    expect(await lockValue()).toBe(planted);
    expect(await census()).toEqual({ aliases: 0, buckets: 0, apis: 0 });
  });

  it('left by a killed run of this host is broken at once, said once, and given back when setup ends', async () => {
    await plantLock({ host: thisHost(), pid: deadPid() });
    const run = await runCli(setupArgs(stack), { env: { TEST_SOURCE_KEY } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.match(/note: broke the lock of an earlier setup by ana@elsewhere \(pid \d+\): its process \(\d+\) no longer runs on this host/g)).toHaveLength(1);
    expect(await heldBy()).toBeNull();
    // A setup with nothing to change gives back a killed run's lock too, and otherwise writes nothing.
    await plantLock({ host: thisHost(), pid: deadPid() });
    const again = await runCli([...setupArgs(stack), '--verbose'], { env: { TEST_SOURCE_KEY } });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/note: broke the lock of an earlier setup/);
    expect(await heldBy()).toBeNull();
    expect([...again.stderr.matchAll(/^aws \w+ (Put|Create|Delete|Update|Tag)\w*$/gm)]).toEqual([]);
  });

  it('is read once: a run that took it right after the version it saw does not read the stack again', async () => {
    // One bucket read per read of the stack.
    const reads = (run: { stderr: string }) => run.stderr.match(/^aws s3 HeadBucket$/gm)?.length ?? 0;
    const first = await runCli([...setupArgs(stack), '--verbose'], { env: { TEST_SOURCE_KEY } });
    expect(first.code, first.stderr).toBe(0);
    expect(reads(first)).toBe(1);
    const changed = await runCli([...setupArgs(stack), '--function-memory', '512', '--verbose', '--endpoint-url', proxy.endpoint], { env: { TEST_SOURCE_KEY } });
    expect(changed.code, changed.stderr).toBe(0);
    expect(reads(changed)).toBe(1);
    // Another run took and gave back the lock between this run's read and its lock: it reads again.
    let sneaked = false;
    proxy.rules.push({
      service: 'ssm',
      operation: 'GetParameter',
      when: (request) => !sneaked && request.body.includes(`"/${stack}/lock"`),
      respond: async (_request, forward) => {
        const answer = await forward();
        // Right after this run read the lock: another run takes and gives it back.
        sneaked = true;
        await plantLock({ host: 'elsewhere', released: new Date().toISOString() });
        return answer;
      },
    });
    const raced = await runCli([...setupArgs(stack), '--function-memory', '256', '--verbose', '--endpoint-url', proxy.endpoint], { env: { TEST_SOURCE_KEY } });
    expect(raced.code, raced.stderr).toBe(0);
    expect(reads(raced)).toBe(2);
    expect(raced.stderr).toMatch(/^aws ssm PutParameter \(stack lock\)$/m);
  });

  it('is not needed by a setup that changes nothing: it writes nothing, even while another run holds the stack', async () => {
    expect((await runCli(setupArgs(stack), { env: { TEST_SOURCE_KEY } })).code).toBe(0);
    const planted = await plantLock({});
    proxy.requests.length = 0;
    const run = await runCli([...setupArgs(stack), '--endpoint-url', proxy.endpoint], { env: { TEST_SOURCE_KEY } });
    expect(run.code, run.stderr).toBe(0);
    expect(proxy.requests.filter(isMutatingRequest).map((r) => r.operation)).toEqual([]);
    expect(await lockValue()).toBe(planted);
  });

  it('stops teardown too, and a parameter of that name that is not a bridge lock is never touched', async () => {
    expect((await runCli(setupArgs(stack), { env: { TEST_SOURCE_KEY } })).code).toBe(0);
    await plantLock({});
    const locked = await runCli(['teardown', '--stack', stack, '--yes', '--endpoint-url', proxy.endpoint]);
    expect(locked.code, locked.stderr).toBe(1);
    expect(locked.stderr).toMatch(/being changed by another bridge run \(setup by ana@elsewhere/);
    expect(proxy.requests.filter(isMutatingRequest).map((r) => r.operation)).toEqual([]);

    await aws.ssm.send(new PutParameterCommand({ Name: `/${stack}/lock`, Type: 'String', Value: 'v1-of-some-app', Overwrite: true }));
    const foreign = await runCli(['teardown', '--stack', stack, '--yes']);
    expect(foreign.code, foreign.stderr).toBe(2);
    expect(foreign.stderr).toMatch(/SSM parameter '\/twice\/lock' exists but is not tagged bridge:stack for this stack; bridge never modifies it\. It is not a bridge lock/);
    expect(await lockValue()).toBe('v1-of-some-app');
  });
});

describe('two teardowns at once', () => {
  it('both end 0, or one says the other is in progress; nothing of the stack is left', async () => {
    expect((await runCli(setupArgs(stack), { env: { TEST_SOURCE_KEY } })).code).toBe(0);
    withLatency(15);
    const args = ['teardown', '--stack', stack, '--yes', '--delete-data', '--key-deletion-days', '7'];
    const runs = await Promise.all([runBridge(args, 'testing-first'), runBridge(args, 'testing-second')]);
    for (const run of runs) {
      if (run.code !== 0) {
        expect(run.code, run.stderr).toBe(1);
        expect(run.stderr).toMatch(/stack twice is being changed by another bridge run \(teardown by/);
      }
    }
    expect(runs.some((r) => r.code === 0)).toBe(true);
    proxy.rules.length = 0;
    expect(await census()).toEqual({ aliases: 0, buckets: 0, apis: 0 });
    expect(await lockValue()).toBeNull();
  }, 120_000);
});

describe('runs racing to break one stale lock', () => {
  it('leave exactly one holder, and the parameter names it', async () => {
    const config = resolveConfig({ stack, region: 'us-east-1', endpointUrl: process.env.AWS_ENDPOINT_URL });
    for (let round = 0; round < 5; round++) {
      await plantLock({ host: thisHost(), pid: deadPid() });
      const contexts = Array.from({ length: 4 }, () => {
        const clients = new AwsClients({ region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL as string });
        return { config, names: stackNames(stack, LOCAL_ACCOUNT, 'us-east-1'), aws: clients, refs: {}, inputs: {}, progress: () => {}, clock: systemClock, notes: [] } as StackContext;
      });
      const outcomes = await Promise.allSettled(contexts.map((ctx) => acquireStackLock(ctx, { command: 'setup', timeoutMs: 0 })));
      const held = outcomes.filter((o) => o.status === 'fulfilled').map((o) => o.value);
      expect(held, `round ${round}`).toHaveLength(1);
      for (const lost of outcomes.filter((o) => o.status === 'rejected')) expect(lost.reason).toBeInstanceOf(BridgeError);
      // The losers put the winner's lock back (and the winner looks again 3 s on, for a racer that could not).
      expect(JSON.parse((await lockValue()) as string).id, `round ${round}`).toBe(held[0]?.holder.id);
      if (round === 0) {
        // A racer that overwrote the winner and died before putting it back: the winner takes it back.
        await plantLock({ id: 'b0b0b0b0-0000-4000-8000-000000000000', host: 'elsewhere' });
        await new Promise((resolve) => setTimeout(resolve, 3_500));
        expect(await heldBy(), 'after the settle').toBe(held[0]?.holder.id);
      }
      await held[0]?.release();
      expect(await heldBy()).toBeNull();
      contexts.forEach((ctx) => ctx.aws.destroy());
    }
  });
});
