/**
 * The local AWS: moto server on 127.0.0.1 through scripts/local-aws.py (which adds the one
 * bucket-policy correction), on a free port; waits until it answers; stops cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BridgeError, UsageError } from '../errors.js';
import { packagePath } from '../paths.js';

export const LAUNCHER = packagePath('scripts', 'local-aws.py');

/** The local AWS's only account. */
export const LOCAL_ACCOUNT_ID = '123456789012';

export interface LocalAws {
  endpoint: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface LocalAwsOptions {
  port?: number;
  python?: string;
  /** Extra environment for moto, e.g. INITIAL_NO_AUTH_ACTION_COUNT or MOTO_IAM_LOAD_MANAGED_POLICIES. */
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
    return response.ok;
  } catch {
    return false;
  }
}

export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const port = options.port ?? (await freeLoopbackPort());
  const endpoint = `http://127.0.0.1:${port}`;
  // BRIDGE_PYTHON picks the interpreter that has moto (a virtualenv's, say).
  const python = options.python ?? process.env.BRIDGE_PYTHON ?? 'python3';
  // moto logs every request. Into a file, not a pipe: a pipe must be drained by this process,
  // and while its event loop is busy a full pipe would stall the server.
  const logFile = join(tmpdir(), `bridge-local-aws-${process.pid}-${port}.log`);
  let logFd: number;
  try {
    logFd = openSync(logFile, 'w');
  } catch (error) {
    throw new UsageError(`cannot write the local AWS's log in ${tmpdir()} (${(error as NodeJS.ErrnoException).code}): set TMPDIR to a folder you can write to`);
  }
  const child = spawn(python, [LAUNCHER, '--port', String(port)], {
    stdio: ['ignore', 'ignore', logFd],
    env: { ...process.env, ...options.env },
  });
  closeSync(logFd);
  const stderrTail = () => {
    try {
      return readFileSync(logFile, 'utf8').slice(-4_000);
    } catch {
      return '';
    }
  };
  let exited: { code: number | null; error?: Error } | null = null;
  child.once('exit', (code) => {
    exited ??= { code };
  });
  child.once('error', (error) => {
    exited = { code: null, error };
  });

  const stop = async () => {
    await stopProcess(child);
    rmSync(logFile, { force: true });
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (exited) {
      const { code, error } = exited as { code: number | null; error?: Error };
      const stderr = stderrTail();
      rmSync(logFile, { force: true });
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new BridgeError(`${python} was not found: the local AWS needs Python 3 with moto ('pip install "moto[server]"')`, 2);
      }
      if (code === 3 || /No module named 'moto'|No module named moto/.test(stderr)) {
        throw new BridgeError(`moto is not installed for ${python}: install it with 'pip install "moto[server]"'`, 2);
      }
      throw new BridgeError(`the local AWS stopped at start (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
    if (await answers(endpoint)) return { endpoint, port, process: child, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new BridgeError(`the local AWS did not answer on ${endpoint} within ${(options.startTimeoutMs ?? 30_000) / 1000}s`);
}

/** SIGTERM, then SIGKILL after 5 s: a launcher that is not waited for leaves moto running. */
export async function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function resetLocalAws(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!response.ok) throw new BridgeError(`resetting the local AWS failed: HTTP ${response.status}`);
}

/** Whether the launcher's bucket-policy correction is active on this server. */
export async function correctionInEffect(endpoint: string): Promise<boolean> {
  const response = await fetch(`${endpoint}/bridge-local/correction`);
  return response.ok && (await response.text()) === 'on';
}

/** Switches moto's IAM enforcement on from now (setup first as an unrestricted caller). */
export async function enforceIam(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0', headers: { 'Content-Type': 'text/plain' } });
  if (!response.ok) throw new BridgeError(`switching on IAM enforcement failed: HTTP ${response.status}`);
}
