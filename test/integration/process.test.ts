/**
 * bridge as a real process (bin/bridge.js, built): Ctrl-C mid-setup, a reader that goes away
 * (`| head -1`), Ctrl-C and Ctrl-D at teardown's prompt, and no credentials at all. Each ends with
 * one line, the documented exit code, and no stack trace; an interrupted setup converges on re-run.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import type { Io } from '../../src/output.js';
import { startAwsProxy, type AwsProxy } from '../support/aws-proxy.js';
import { TEST_SOURCE_KEY, localClients, resetLocal, runCli, setupArgs } from '../support/helpers.js';

const BIN = new URL('../../bin/bridge.js', import.meta.url).pathname;
let proxy: AwsProxy;

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function bridge(args: string[], env: NodeJS.ProcessEnv = process.env, onStderr?: (text: string, child: ReturnType<typeof spawn>) => void, as?: { uid: number; gid: number }) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'], ...as });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    onStderr?.(stderr, child);
  });
  const done = new Promise<Finished>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

beforeAll(async () => {
  await resetLocal();
  proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL as string);
});

afterAll(async () => {
  await proxy?.close();
});

describe('bridge as a process', () => {
  it('Ctrl-C mid-setup: one line saying what was applied and that a re-run converges, exit 130; the re-run does', async () => {
    // Hold CreateFunction until the test has sent Ctrl-C: the run is then surely mid-way.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let sent = false;
    const { child, done } = bridge([...setupArgs('sigint'), '--endpoint-url', proxy.endpoint], { ...process.env, TEST_SOURCE_KEY });
    proxy.rules.push({
      service: 'lambda',
      operation: 'POST /2015-03-31/functions',
      respond: async (_request, forward) => {
        if (!sent) {
          sent = true;
          child.kill('SIGINT');
        }
        await held;
        return forward();
      },
    });
    const run = await done;
    release();
    proxy.rules.length = 0;
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/interrupted: \d+ changes applied \(.*KMS key alias\/sigint created.*\) and kept; run bridge setup again to converge/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    // The stack's lock went back before the exit, so a run elsewhere need not wait for it to go stale.
    const lock = await localClients().ssm.send(new GetParameterCommand({ Name: '/sigint/lock' }));
    expect(JSON.parse(lock.Parameter?.Value ?? '{}')).toMatchObject({ command: 'setup', released: expect.any(String) });
    const again = await runCli(setupArgs('sigint'), { env: { TEST_SOURCE_KEY } });
    expect(again.code, again.stderr).toBe(0);
    const audit = await runCli(['audit', '--stack', 'sigint', '--json']);
    const failing = (JSON.parse(audit.stdout) as { results: { id: string; status: string }[] }).results.filter((r) => r.status === 'FAIL' || r.status === 'ERROR').map((r) => r.id);
    // Account-wide API Gateway logging is off on a fresh local AWS: only those two may fail.
    expect(failing.filter((id) => !['api-access-logging', 'api-execution-logging'].includes(id))).toEqual([]);
  }, 120_000);

  it('a reader that goes away (| head -1) ends the output quietly, not the run', async () => {
    const { child, done } = bridge(['audit', '--stack', 'sigint', '--format', 'markdown']);
    child.stdout.destroy();
    const run = await done;
    expect(run.stderr).not.toMatch(/EPIPE|\n\s+at /);
    // The audit's own verdict, not a crash (3: the account-logging controls fail here).
    expect(run.code).toBe(3);
  }, 60_000);

  it('no credentials anywhere: one line saying so, exit 2', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_PROFILE: 'bridge-none', AWS_CONFIG_FILE: '/nonexistent/config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials' };
    delete env.AWS_ACCESS_KEY_ID;
    delete env.AWS_SECRET_ACCESS_KEY;
    delete env.AWS_SESSION_TOKEN;
    const run = await bridge(['audit', '--stack', 'sigint'], env).done;
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^error: .*credentials/);
  }, 60_000);
});

describe("teardown's prompt", () => {
  /** A terminal-like stdin the test types into. */
  function terminal() {
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    stdout.resume();
    const io: Io = { stdin: stdin as unknown as NodeJS.ReadStream, stdout, stderr, env: process.env };
    return { stdin, io, stderr: () => err };
  }

  it.each([
    ['Ctrl-C', (stdin: PassThrough) => stdin.write('\x03')],
    ['Ctrl-D', (stdin: PassThrough) => stdin.end()],
  ])('%s: "cancelled, nothing was removed", exit 130, and nothing was', async (_key, press) => {
    const t = terminal();
    const running = main(['node', 'bridge', 'teardown', '--stack', 'sigint'], t.io);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(t.stderr()).toContain('Type the stack name (sigint) to remove it from us-east-1 (account 123456789012): ');
    press(t.stdin);
    expect(await running).toBe(130);
    expect(t.stderr()).toMatch(/error: cancelled, nothing was removed\n$/);
    expect(t.stderr()).not.toMatch(/\n\s+at /);
    const plan = await runCli(['teardown', '--stack', 'sigint', '--dry-run', '--json']);
    expect((JSON.parse(plan.stdout) as { removed: unknown[] }).removed.length).toBeGreaterThan(5);
  }, 30_000);
});

/** Whether users other than the owner can reach `path` (every folder on the way lets others through). */
function reachableByOthers(path: string): boolean {
  for (let at = path; ; at = dirname(at)) {
    if ((statSync(at).mode & 0o001) === 0) return false;
    if (dirname(at) === at) return true;
  }
}

describe('a hostile environment', () => {
  /** Root writes anywhere: where the tests run as root, the CLI runs as nobody for these. */
  const root = process.getuid?.() === 0;
  const asSomeone = root ? { uid: 65534, gid: 65534 } : undefined;
  // As root, nobody must be able to read this checkout; a checkout in a folder only root can enter
  // (mktemp -d makes one) cannot show it, and says so by skipping.
  const cannotShow = root && !reachableByOthers(dirname(dirname(BIN)));

  function lockedFolder(): string {
    const folder = mkdtempSync(join(tmpdir(), 'bridge-ro-'));
    chmodSync(folder, 0o555);
    return folder;
  }

  it.skipIf(cannotShow)('an audit report into a folder this user cannot write: exit 2 before any AWS call', async () => {
    const folder = lockedFolder();
    const home = mkdtempSync(join(tmpdir(), 'bridge-home-'));
    chmodSync(home, 0o777);
    proxy.seen.length = 0;
    const run = await bridge(['audit', '--stack', 'sigint', '--output-file', join(folder, 'report.json'), '--endpoint-url', proxy.endpoint], { ...process.env, HOME: home }, undefined, asSomeone).done;
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr.trim()).toBe(`error: --output-file ${join(folder, 'report.json')}: the folder ${folder} is not writable; choose a folder you can write to`);
    expect(proxy.seen).toEqual([]);
  });

  it.skipIf(cannotShow)('bridge local with a TMPDIR it cannot write: one line naming TMPDIR, exit 2', async () => {
    const folder = lockedFolder();
    const run = await bridge(['local'], { ...process.env, TMPDIR: folder }, undefined, asSomeone).done;
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`error: cannot write the local AWS's log in ${folder} \\((EACCES|EPERM)\\): set TMPDIR to a folder you can write to`));
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('bridge local on a port already taken: says so, exit 2, and does not claim to run', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => taken.once('listening', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const run = await bridge(['local', '--port', String(port)]).done;
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr.trim()).toBe(`error: port ${port} is in use: choose another --port or leave it out for a free one`);
      expect(run.stdout).not.toMatch(/export|running/i);
    } finally {
      taken.close();
    }
  });
});
