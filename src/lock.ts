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
import { readlinkSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { randomUUID } from 'node:crypto';
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { BridgeError, NotOursError, awsErrorName, isNotFound } from './errors.js';
import { STACK_TAG_KEY } from './names.js';
import type { StackContext } from './resources/types.js';
import { VERSION } from './version.js';
import { heldMessage, parseHolder, staleBecause, type Here, type LockHolder, type LockState } from './lock-state.js';

export const RENEW_EVERY_MS = 60_000;
/** When a run that took the lock over looks again, for a racer's write left over it. */
const SETTLE_MS = 3_000;
/** Writes this close after a run's winning one are racers' (a takeover needs STALE_AFTER_MS). */
const RACE_WINDOW_MS = 60_000;

/** Whether a process of this host still runs. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * This host, as far as pids go: the host name and, on Linux, the pid namespace (containers sharing a
 * host name have their own pids, so a pid of another one must not look dead here).
 */
export function thisHost(): string {
  try {
    return `${hostname()} ${readlinkSync('/proc/self/ns/pid')}`;
  } catch {
    return hostname();
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
  #check: NodeJS.Timeout | undefined;
  #renewing: Promise<void> = Promise.resolve();
  #released = false;
  /** Set when another run took the lock while this one held it (this run paused past staleness). */
  lost = false;

  constructor(
    private readonly ctx: StackContext,
    readonly holder: LockHolder,
    /** Set when this run broke a dead run's lock: said once to the user. */
    readonly broke: string | null,
    /** No other run took the lock since the version seen before reading the stack: what was read stands. */
    readonly fresh: boolean,
    private readonly onRelease: () => void = () => {},
    /** SSM's version of this run's winning write, and when it was made (AWS time). */
    private readonly taken: { version: number; at: number; overwrote?: boolean } = { version: 0, at: Date.now() },
  ) {
    const renew = (settling: boolean) => () => {
      this.#renewing = this.#renewing.then(() => this.#renew(settling)).catch(() => {});
    };
    this.#renewal = setInterval(renew(false), RENEW_EVERY_MS);
    this.#renewal.unref();
    // Soon after taking a lock over: a run that lost the race and overwrote it, then died before
    // putting it back, must not leave the parameter naming someone else while this run works.
    if (broke !== null || taken.overwrote) {
      this.#check = setTimeout(renew(true), SETTLE_MS);
      this.#check.unref();
    }
  }

  async #renew(settling: boolean): Promise<void> {
    if (this.#released) return;
    const state = await readLock(this.ctx);
    if (settling && state?.holder.id === this.holder.id) return;
    if (state && state.holder.id !== this.holder.id) {
      // Written over within moments of this run's win: a racer's leftover; this run still holds it.
      const racer = state.version > this.taken.version && state.modified.getTime() - this.taken.at < RACE_WINDOW_MS;
      if (!racer) {
        // Taken over while this run was paused past staleness: theirs now. The run is told.
        this.lost = true;
        return;
      }
    }
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
    clearTimeout(this.#check);
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
        : { Description: `bridge: held while a run changes stack ${ctx.config.stack}; given back when it ends`, Tags: [{ Key: STACK_TAG_KEY, Value: ctx.config.stack }] }),
    }),
  );
  return out.Version ?? 0;
}

/**
 * Whether this run's overwrite of a stale or released lock (SSM's version `mine`) made it the
 * holder, and if not, the value to put back. SSM numbers writes one by one, so of the runs that
 * overwrote the same version exactly one wrote the next: that one holds it.
 */
async function afterBreaking(ctx: StackContext, stale: LockState, me: LockHolder, mine: number): Promise<{ held: boolean; version?: number; restore?: string }> {
  const base = await readLock(ctx, stale.version);
  const sameGeneration = base?.holder.id === stale.holder.id && base.raw === stale.raw;
  if (sameGeneration) {
    const first = await readLock(ctx, stale.version + 1);
    if (first?.holder.id === me.id) return { held: true, version: first.version };
    // Only takes since the first (racers like this run): the first is the holder, and goes back.
    // A release among them means that race is over and another run holds it now: see below.
    let racersOnly = first !== null && !isReleased(first);
    for (let version = stale.version + 2; racersOnly && version < mine; version++) {
      const between = await readLock(ctx, version);
      racersOnly = between !== null && !isReleased(between);
    }
    if (first && racersOnly) return { held: false, restore: first.raw };
  }
  // Not first (or the parameter was removed and made again since it was read): put back what this
  // write went over, the version right under it that is not this run's own retried write.
  for (let version = mine - 1; version >= 1; version--) {
    const under = await readLock(ctx, version);
    // Nothing under it: this write made the parameter, as a create would.
    if (!under) return sameGeneration ? { held: false } : { held: true };
    if (under.holder.id !== me.id) return sameGeneration || !isReleased(under) ? { held: false, restore: under.raw } : { held: true };
  }
  return sameGeneration ? { held: false } : { held: true };
}

/** A lock value that holds no one. */
function isReleased(state: LockState): boolean {
  return state.holder.released !== undefined;
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
  const host = options.here?.host ?? thisHost();
  const here = (): Here => ({ host, now: options.here?.now ?? Date.now() + ctx.aws.serverClockOffsetMs, alive: options.here?.alive ?? processAlive });
  const me: LockHolder = { bridge: 'lock', id: randomUUID(), command: options.command, who: who(), host, pid: process.pid, started: new Date().toISOString(), version: VERSION };
  const began = Date.now();
  // What was read before the stack stands only if then no run held the lock (none, or released).
  const seen = options.seen;
  const seenVersion = seen === undefined || (seen !== null && !seen.holder.released) ? -1 : (seen?.version ?? 0);
  const held = (version: number, broke: string | null, over: LockState | null) =>
    new StackLock(ctx, me, broke, version === seenVersion + 1 && (over?.raw ?? null) === (seen?.raw ?? null), options.onRelease, { version, at: Date.now() + ctx.aws.serverClockOffsetMs, overwrote: over !== null });
  for (;;) {
    const state = await readLock(ctx);
    if (state === null) {
      try {
        return held(await writeLock(ctx, me, false), null, null);
      } catch (error) {
        if (awsErrorName(error) !== 'ParameterAlreadyExists') throw error;
        // Another run created it first, or a retry of this run's own write after a lost answer.
        const now = await readLock(ctx);
        if (now?.holder.id === me.id) return held(-1, null, null);
        continue;
      }
    }
    const free = staleBecause(state, here());
    if (free) {
      const mine = await writeLock(ctx, me, true);
      const outcome = await afterBreaking(ctx, state, me, mine);
      if (outcome.held) {
        const broke = free === 'released' ? null : `broke the lock of an earlier ${state.holder.command} by ${state.holder.who} (pid ${state.holder.pid}): ${free}`;
        return held(outcome.version ?? -1, broke, state);
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
