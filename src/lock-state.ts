/**
 * The stack lock as bridge judges it, pure: what the parameter holds, when a lock no longer stands
 * for a running bridge, and what a run that finds the stack locked says. The lock itself (taking,
 * renewing, giving back) is src/lock.ts.
 */
import { BridgeError } from './errors.js';

/** Five renewals missed. Measured in AWS's time (the offset from its Date header), not this machine's. */
export const STALE_AFTER_MS = 5 * 60_000;

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

/** Pure: the holder a parameter value names, or null when it is not a bridge lock. */
export function parseHolder(raw: string): LockHolder | null {
  try {
    const value = JSON.parse(raw) as Partial<LockHolder>;
    const strings = [value.id, value.host, value.command, value.who, value.started];
    if (value.bridge !== 'lock' || strings.some((v) => typeof v !== 'string') || typeof value.pid !== 'number' || Number.isNaN(Date.parse(value.started as string))) return null;
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

/** The failure of a run whose lock another run took over while it was paused (laptop asleep, say). */
export function lostLock(command: string): BridgeError {
  return new BridgeError(
    `another bridge run took over the stack's lock while this ${command} was paused for more than ${STALE_AFTER_MS / 60_000} minutes: what was applied stays; run ${command} again once that run ends, to converge`,
  );
}
