/**
 * One bridge run at a time changes a stack. The lock lives in the account, not on a machine, so two
 * laptops or two CI jobs see it: an SSM parameter `/S/lock`. Runs read without it and take it only
 * once they have something to change, so a run that changes nothing writes nothing.
 *
 * Taking it: where there is none, a create with Overwrite=false, which AWS makes atomic (the second
 * writer gets ParameterAlreadyExists). Giving it back writes it as released rather than deleting it
 * (teardown deletes it with the stack), so its SSM version counts every run that held it: a run whose
 * write is the version right after the one it saw before reading the stack knows no other run changed
 * anything since, and need not read the stack again.
 *
 * A released lock, or one whose run died, is taken over by overwriting it: a dead run's at once when
 * it was a process on this host that is gone (SIGKILL, a closed terminal), otherwise once its holder
 * stopped renewing it (every minute) for STALE_AFTER_MS. SSM has no conditional overwrite, so taking
 * over is made safe by its versions: every write gets the next one, so of the runs that saw the same
 * version, the one whose write directly follows it holds the lock; a run that finds a live lock under
 * its own write puts that lock back and waits like anyone else.
 */
import { hostname, userInfo } from 'node:os';
import { randomUUID } from 'node:crypto';
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { BridgeError, NotOursError, UsageError, awsErrorName, isNotFound } from './errors.js';
import { STACK_TAG_KEY } from './names.js';
import type { StackContext } from './resources/types.js';
import { VERSION } from './version.js';

export const RENEW_EVERY_MS = 60_000;
/** Five renewals missed: longer than any clock skew SigV4 accepts between two honest machines. */
export const STALE_AFTER_MS = 5 * 60_000;
const MAX_LOCK_TIMEOUT_S = 3600;

/** What the parameter holds: who runs what, where, since when. */
export interface LockHolder {
  bridge: 'lock';
  id: string;
  command: string;
  who: string;
  host: string;
  pid: number;
  started: string;
  version: string;
  /** Set when the run gave it back (ISO time): the parameter then holds no one. */
  released?: string;
}

/** The parameter as read: the holder, SSM's version and SSM's own time of the last write. */
export interface LockState {
  holder: LockHolder;
  version: number;
  modified: Date;
  raw: string;
}

/** `--lock-timeout`: seconds, or a number with s or m ("90", "30s", "5m"); 0 means do not wait. */
export function parseLockTimeout(value: string | undefined): number {
  if (value === undefined) return 0;
  const match = /^(\d+)(s|m)?$/.exec(value.trim());
  const seconds = match ? Number(match[1]) * (match[2] === 'm' ? 60 : 1) : NaN;
  if (!match || seconds > MAX_LOCK_TIMEOUT_S) {
    throw new UsageError(`invalid --lock-timeout '${value}': give seconds or minutes up to 60m, e.g. 30s or 5m (0 fails at once when another run holds the stack)`);
  }
  return seconds * 1000;
}

/** Pure: the holder a parameter value names, or null when it is not a bridge lock. */
export function parseHolder(raw: string): LockHolder | null {
  try {
    const value = JSON.parse(raw) as Partial<LockHolder>;
    if (value.bridge !== 'lock' || typeof value.id !== 'string' || typeof value.host !== 'string' || typeof value.pid !== 'number') return null;
    return value as LockHolder;
  } catch {
    return null;
  }
}

export interface Here {
  host: string;
  now: number;
  /** Whether a process of this host still runs. */
  alive: (pid: number) => boolean;
}

/** Pure: why a lock no longer stands for a running bridge, or null while it does. */
export function staleBecause(state: LockState, here: Here): string | null {
  if (state.holder.released) return 'released';
  if (state.holder.host === here.host && !here.alive(state.holder.pid)) return `its process (${state.holder.pid}) no longer runs on this host`;
  const quiet = here.now - state.modified.getTime();
  if (quiet >= STALE_AFTER_MS) return `it was last renewed ${Math.round(quiet / 60_000)} minutes ago`;
  return null;
}

/** Pure: the one line a run that finds the stack locked prints. */
export function heldMessage(stack: string, state: LockState, now: number, waitedMs: number): string {
  const h = state.holder;
  const age = Math.max(0, Math.round((now - Date.parse(h.started)) / 1000));
  const waited = waitedMs > 0 ? `waited ${Math.round(waitedMs / 1000)}s; ` : '';
  return (
    `stack ${stack} is being changed by another bridge run (${h.command} by ${h.who}, pid ${h.pid}, started ${age}s ago, lock ${h.id.slice(0, 8)}); ` +
    `nothing was changed: ${waited}run again once it finishes, or pass --lock-timeout 5m to wait for it`
  );
}

/** Whether a process of this host still runs. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function who(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return hostname();
  }
}

export class StackLock {
  #renewal: NodeJS.Timeout | undefined;
  #renewing: Promise<void> = Promise.resolve();
  #released = false;

  constructor(
    private readonly ctx: StackContext,
    readonly holder: LockHolder,
    /** Set when this run broke a dead run's lock: said once to the user. */
    readonly broke: string | null,
    /** No other run took the lock since the version seen before reading the stack: what was read stands. */
    readonly fresh: boolean,
    private readonly onRelease: () => void = () => {},
  ) {
    this.#renewal = setInterval(() => {
      this.#renewing = this.#renewing.then(() => this.#renew()).catch(() => {});
    }, RENEW_EVERY_MS);
    this.#renewal.unref();
  }

  async #renew(): Promise<void> {
    if (this.#released) return;
    const state = await readLock(this.ctx);
    // Someone broke it (this run was paused past STALE_AFTER_MS): theirs now, left alone.
    if (state?.holder.id !== this.holder.id) return;
    await writeLock(this.ctx, this.holder, true);
  }

  /**
   * Gives the lock back if it is still this run's: written as released, or removed (`remove`: by
   * teardown, once the stack is gone). Safe to call twice.
   */
  async release(options: { remove?: boolean } = {}): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    this.onRelease();
    clearInterval(this.#renewal);
    await this.#renewing;
    const state = await readLock(this.ctx);
    if (state?.holder.id !== this.holder.id) return;
    if (!options.remove) {
      await writeLock(this.ctx, { ...this.holder, released: new Date().toISOString() }, true);
      return;
    }
    try {
      await this.ctx.aws.ssmLock.send(new DeleteParameterCommand({ Name: this.ctx.names.lockParameterName }));
    } catch (error) {
      if (!isNotFound(error, 'ParameterNotFound')) throw error;
    }
  }
}

export async function readLock(ctx: StackContext, version?: number): Promise<LockState | null> {
  const name = ctx.names.lockParameterName;
  try {
    const { Parameter } = await ctx.aws.ssmLock.send(new GetParameterCommand({ Name: version ? `${name}:${version}` : name }));
    const raw = Parameter?.Value ?? '';
    const holder = parseHolder(raw);
    if (!holder) throw new NotOursError('SSM parameter', name, 'It is not a bridge lock: choose another --stack, or remove it if nothing uses it.');
    return { holder, version: Parameter?.Version ?? 0, modified: Parameter?.LastModifiedDate ?? new Date(0), raw };
  } catch (error) {
    if (isNotFound(error, 'ParameterNotFound', 'ParameterVersionNotFound')) return null;
    throw error;
  }
}

/** Writes the holder; returns the version SSM gave the write. Creating also tags it, as SSM allows only then. */
async function writeLock(ctx: StackContext, holder: LockHolder | string, overwrite: boolean): Promise<number> {
  const value = typeof holder === 'string' ? holder : JSON.stringify(holder);
  const out = await ctx.aws.ssmLock.send(
    new PutParameterCommand({
      Name: ctx.names.lockParameterName,
      Type: 'String',
      Value: value,
      Overwrite: overwrite,
      ...(overwrite
        ? {}
        : { Description: `bridge: held while a run changes stack ${ctx.config.stack}; removed when it ends`, Tags: [{ Key: STACK_TAG_KEY, Value: ctx.config.stack }] }),
    }),
  );
  return out.Version ?? 0;
}

/**
 * Whether this run's overwrite of a stale lock (SSM's version `mine`) made it the holder, and if
 * not, the value it wrote over (to put back). SSM numbers writes one by one, so of the runs that
 * broke the same stale version exactly one wrote the next: that one holds it.
 */
async function afterBreaking(ctx: StackContext, stale: LockState, me: LockHolder, mine: number): Promise<{ held: boolean; version?: number; restore?: string }> {
  const base = await readLock(ctx, stale.version);
  if (base?.holder.id === stale.holder.id && base.raw === stale.raw) {
    const first = await readLock(ctx, stale.version + 1);
    return first?.holder.id === me.id ? { held: true, version: first.version } : { held: false, ...(first ? { restore: first.raw } : {}) };
  }
  // Released and made again since it was read: this write went over whatever was there by then
  // (over nothing: it made the parameter, as a create would). A retried write of its own is passed by.
  for (let version = mine - 1; version >= 1; version--) {
    const under = await readLock(ctx, version);
    if (!under) return { held: true };
    if (under.holder.id !== me.id) return { held: false, restore: under.raw };
  }
  return { held: true };
}

export interface AcquireOptions {
  command: string;
  timeoutMs: number;
  here?: Partial<Here>;
  /** How long to sleep between looks while another run holds it. */
  pollMs?: number;
  /** Told when the lock is released. */
  onRelease?: () => void;
  /** The lock as read before the stack was (readLock), so the lock can tell whether that read still stands. */
  seen?: LockState | null;
}

/**
 * Takes the stack's lock, waiting up to timeoutMs for another run to finish; throws BridgeError
 * (exit 1) naming that run when it does not. Nothing of the stack has been changed by then.
 */
export async function acquireStackLock(ctx: StackContext, options: AcquireOptions): Promise<StackLock> {
  const host = options.here?.host ?? hostname();
  const here = (): Here => ({ host, now: options.here?.now ?? Date.now(), alive: options.here?.alive ?? processAlive });
  const me: LockHolder = { bridge: 'lock', id: randomUUID(), command: options.command, who: who(), host, pid: process.pid, started: new Date().toISOString(), version: VERSION };
  const began = Date.now();
  const seenVersion = options.seen === undefined ? -1 : (options.seen?.version ?? 0);
  const held = (version: number, broke: string | null) => new StackLock(ctx, me, broke, version === seenVersion + 1, options.onRelease);
  for (;;) {
    const state = await readLock(ctx);
    if (state === null) {
      try {
        return held(await writeLock(ctx, me, false), null);
      } catch (error) {
        if (awsErrorName(error) !== 'ParameterAlreadyExists') throw error;
        // Another run created it first, or a retry of this run's own write after a lost answer.
        const now = await readLock(ctx);
        if (now?.holder.id === me.id) return held(-1, null);
        continue;
      }
    }
    const free = staleBecause(state, here());
    if (free) {
      const mine = await writeLock(ctx, me, true);
      const outcome = await afterBreaking(ctx, state, me, mine);
      if (outcome.held) {
        const broke = free === 'released' ? null : `broke the lock of an earlier ${state.holder.command} by ${state.holder.who} (pid ${state.holder.pid}): ${free}`;
        return held(outcome.version ?? -1, broke);
      }
      // Another run's write came first: its lock goes back, unless a later write already moved on.
      const current = await readLock(ctx);
      if (current?.version === mine && outcome.restore) await writeLock(ctx, outcome.restore, true);
      continue;
    }
    const waited = Date.now() - began;
    if (waited >= options.timeoutMs) throw new BridgeError(heldMessage(ctx.config.stack, state, Date.now(), options.timeoutMs > 0 ? waited : 0));
    const jitter = Math.random() * 500;
    await new Promise((resolve) => setTimeout(resolve, Math.min((options.pollMs ?? 2000) + jitter, options.timeoutMs - waited)));
  }
}
