/**
 * The installed command as a user runs it: a child process of bin/bridge.js (built by `npm test`'s
 * pretest). `bridge local` and `bridge demo` start their own local AWS and must leave none behind.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../../bin/bridge.js', import.meta.url).pathname;

function bridge(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, CI: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

async function answers(endpoint: string): Promise<boolean> {
  return fetch(`${endpoint}/moto-api/`).then(
    (r) => r.ok,
    () => false,
  );
}

describe('a clone that was never built', () => {
  it('says what to run, in one line, exit 1, never a stack trace', async () => {
    // bin/bridge.js as it is in a fresh clone before npm ci: no dist/ beside it.
    const clone = mkdtempSync(join(tmpdir(), 'bridge-unbuilt-'));
    mkdirSync(join(clone, 'bin'));
    copyFileSync(BIN, join(clone, 'bin', 'bridge.js'));
    const child = spawn(process.execPath, [join(clone, 'bin', 'bridge.js'), '--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toBe("error: bridge is not built (dist/bundle/cli.js is missing): run 'npm ci' in bridge's folder (or 'npm run build' after changing its sources), then run the command again\n");
  });
});

describe('bridge local', () => {
  it('runs the local AWS on loopback until Ctrl-C, printing the environment to use', async () => {
    const run = bridge(['local']);
    let endpoint = '';
    for (let i = 0; i < 300 && !endpoint; i++) {
      endpoint = /export AWS_ENDPOINT_URL=(http:\/\/127\.0\.0\.1:\d+)/.exec(run.out())?.[1] ?? '';
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(endpoint, run.err()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(run.out()).toContain('AWS_ACCESS_KEY_ID=local');
    expect(await answers(endpoint)).toBe(true);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.err()).toContain('Stopped the local AWS.');
    expect(await answers(endpoint)).toBe(false);
  });

  it('--sample-source: the steps it prints (setup, invoke, audit, teardown) each succeed, run as printed', async () => {
    const run = bridge(['local', '--sample-source']);
    for (let i = 0; i < 300 && !/teardown/.test(run.out()); i++) await new Promise((r) => setTimeout(r, 100));
    const lines = run.out().split('\n');
    // The environment, for the JS SDK, the AWS CLI v2 (AWS_REGION) and v1 and boto3 (AWS_DEFAULT_REGION).
    const env: Record<string, string> = {};
    for (const line of lines.filter((l) => l.startsWith('  export '))) {
      for (const [, k, v] of line.replace(/#.*$/, '').matchAll(/(\w+)=(\S+)/g)) env[k as string] = v as string;
    }
    expect(env).toMatchObject({ AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local' });
    expect(env.AWS_ENDPOINT_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const steps = lines.filter((l) => l.startsWith('  bridge ')).map((l) => [...l.trim().matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]).slice(1) as string[]);
    expect(steps.map((s) => s[0])).toEqual(['setup', 'invoke', 'audit', 'teardown']);
    try {
      for (const args of steps) {
        const step = bridge(args, env);
        const code = await step.exited;
        expect(code, `bridge ${args.join(' ')}: ${step.err()}`).toBe(0);
        if (args[0] === 'invoke') expect(step.out()).toMatch(/raw\/\d{4}\/\d{2}\/\d{2}\//);
      }
    } finally {
      run.child.kill('SIGINT');
      expect(await run.exited).toBe(0);
    }
    expect(run.err()).toContain('Stopped the local AWS and the sample source.');
  }, 120_000);

  it('says how to install moto when the python it uses has none (exit 2)', async () => {
    // -S leaves site-packages out: a python3 without moto, wherever moto is installed.
    const dir = mkdtempSync(join(tmpdir(), 'bridge-python-'));
    const wrapper = join(dir, 'python-without-moto');
    writeFileSync(wrapper, '#!/bin/sh\nexec python3 -S "$@"\n', { mode: 0o755 });
    const run = bridge(['local'], { BRIDGE_PYTHON: wrapper });
    expect(await run.exited).toBe(2);
    expect(run.err()).toContain(`moto is not installed for ${wrapper}: install it with 'pip install "moto[server]"'`);
  });

  it('refuses a bad --port with exit 2', async () => {
    const run = bridge(['local', '--port', '80']);
    expect(await run.exited).toBe(2);
    expect(run.err()).toMatch(/invalid --port '80'/);
  });
});

describe('bridge demo', () => {
  it('tours setup with a schedule, two invocations (one as the schedule runs it), status, a no-change rerun, drift and repair, then stops what it started', async () => {
    const started = Date.now();
    const run = bridge(['demo']);
    expect(await run.exited, run.err()).toBe(0);
    const out = run.out();
    expect(out).toContain('Done: 18 created, 1 updated, 1 unchanged.');
    // Two invocations, each storing a new object under the stack key with a checksum S3 agrees with.
    const stored = [...out.matchAll(/object {3}s3:\/\/demo-123456789012-us-east-1\/(raw\/\d{4}\/\d{2}\/\d{2}\/\S+\.json)/g)].map((m) => m[1]);
    expect(stored).toHaveLength(2);
    expect(new Set(stored).size).toBe(2);
    expect(out.match(/\(S3 holds the same SHA-256\)/g)).toHaveLength(2);
    expect(out).toMatch(/KMS key {2}arn:aws:kms:us-east-1:123456789012:key\//);
    expect(out).toMatch(/REPORT RequestId: \S+\tDuration: [\d.]+ ms/);
    // The second run is the schedule's event: the function records it was a scheduled run.
    expect(out).toMatch(/"step":"start".*"trigger":"schedule","scheduledTime":"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z","attempt":"1"/);
    expect(out).toMatch(/^ {2}schedule {5}rate\(15 minutes\), enabled; next run \d{4}-\d{2}-\d{2}T/m);
    // The scheduled run's start and store lines, read from the function's logs with its errors in one read.
    expect(out).toMatch(/^ {2}last run {5}\d{4}-\d{2}-\d{2}T\S+ stored; no failed runs waiting$/m);
    expect(out).toContain('Done: 0 created, 0 updated, 20 unchanged.');
    expect(out).toMatch(/Invoke URL: https:\/\/\w+\.execute-api\.us-east-1\.amazonaws\.com\/prod\/data/);
    // The audit: all pass, the injected drift caught, --fix mends it through setup's code.
    expect(out).toContain('44 passed, 0 failed, 0 errors, 0 skipped (44 controls)');
    // Each failure: its status, severity and id, then its resource, finding and fix.
    expect(out).toMatch(/^ {2}FAIL {2}medium +s3-versioning\n(.*\n){2} +finding +versioning is Suspended/m);
    expect(out).toMatch(/^ {2}FAIL {2}high +iam-role-least-privilege\n(.*\n){2} +finding +.*allows s3:DeleteObject on arn:aws:s3:::demo-123456789012-us-east-1\/\*, from inline/m);
    expect(out).toContain('41 passed, 3 failed, 0 errors, 0 skipped (44 controls)');
    expect(run.err()).toContain('versioning: Suspended -> Enabled');
    expect(run.err()).toMatch(/After: 44 passed, 0 failed, 0 errors\./);
    expect(out).toMatch(/S3 bucket +demo-123456789012-us-east-1 +removed: \d+ object versions and delete markers deleted/);
    expect(out).toMatch(/KMS key +alias\/demo +removed: deletion scheduled for \d{4}-\d{2}-\d{2}; to cancel: aws kms cancel-key-deletion/);
    expect(out).toContain('Removed 13, retained 0, already gone 1.');
    expect(Date.now() - started).toBeLessThan(60_000);
    const endpoint = /local AWS {3}(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] as string;
    const sourceUrl = /source API {2}(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] as string;
    expect(await answers(endpoint)).toBe(false);
    expect(await fetch(sourceUrl).then(() => true, () => false)).toBe(false);
    // The demo's generated source key is never shown.
    expect(out + run.err()).not.toMatch(/demo-[0-9a-f]{24}/);
  });
});

describe('bridge demo --keep', () => {
  it('leaves the stack and the local AWS running, says how to go on, and stops them on Ctrl-C', async () => {
    const run = bridge(['demo', '--keep']);
    for (let i = 0; i < 600 && !/Ctrl-C here stops/.test(run.out()); i++) await new Promise((r) => setTimeout(r, 50));
    const out = run.out();
    expect(out).not.toMatch(/Tear down/);
    const endpoint = /export AWS_ENDPOINT_URL=(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] as string;
    expect(out).toContain('bridge invoke --stack demo --local --tail');
    // The stack is there, in sync: a setup against the kept local AWS changes nothing.
    const check = bridge(['setup', '--stack', 'demo', '--json'], { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1' });
    expect(await check.exited, check.err()).toBe(0);
    expect(JSON.parse(check.out()).changes.every((c: { action: string }) => c.action === 'noop')).toBe(true);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(await answers(endpoint)).toBe(false);
  });
});

describe('bridge demo, interrupted', () => {
  it('stops the local AWS and the sample API on Ctrl-C', async () => {
    const run = bridge(['demo']);
    for (let i = 0; i < 200 && !/^2\. /m.test(run.out()); i++) await new Promise((r) => setTimeout(r, 50));
    const endpoint = /local AWS {3}(http:\/\/127\.0\.0\.1:\d+)/.exec(run.out())?.[1] as string;
    const sourceUrl = /source API {2}(http:\/\/127\.0\.0\.1:\d+)/.exec(run.out())?.[1] as string;
    expect(endpoint).toBeDefined();
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    expect(run.err()).toMatch(/demo interrupted: the local AWS is stopped/);
    expect(await answers(endpoint)).toBe(false);
    expect(await fetch(sourceUrl).then(() => true, () => false)).toBe(false);
  });
});

describe('exit codes of the installed command', () => {
  it('exits 2 on bad input with one error line and no stack trace', async () => {
    const run = bridge(['setup', '--stack', 'X']);
    expect(await run.exited).toBe(2);
    expect(run.err().trim().split('\n')).toEqual([expect.stringMatching(/^error: invalid stack name 'X'/)]);
  });

  it('exits 2 without credentials, naming the fix, and asks no metadata service', async () => {
    const run = bridge(['setup', '--dry-run'], {
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_PROFILE: '',
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    expect(await run.exited).toBe(2);
    expect(run.err()).toMatch(/no AWS credentials found: set AWS_PROFILE or --profile/);
  });

  it('prints help with exit 0', async () => {
    const run = bridge(['--help']);
    expect(await run.exited).toBe(0);
    expect(run.out()).toMatch(/setup \[options\]\s+create or converge every resource/);
  });
});
