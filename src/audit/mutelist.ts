/**
 * Accepted findings (audit --mutelist FILE): each entry names a control, the resource (its name,
 * its ARN, or * for any), why it is accepted and until when. A FAIL it covers stays in the report
 * as MUTED, with the reason; once the entry has expired the FAIL counts again, saying so. Only a
 * FAIL can be muted: an unjudged control (ERROR) is never hidden. Parsing is checked before any
 * AWS call; applying is pure.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { AuditResult } from './types.js';

export interface MuteEntry {
  control: string;
  resource: string;
  reason: string;
  /** The last day the entry holds (YYYY-MM-DD, UTC). */
  expires: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The entries of a mutelist file: `{"mutes": [...]}`; every mistake names the entry and the fix. */
export function parseMutelist(text: string, file: string, controlIds: readonly string[]): MuteEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw new UsageError(`--mutelist ${file} is not valid JSON: fix its syntax`);
  }
  const mutes = (parsed as { mutes?: unknown } | null)?.mutes;
  if (!Array.isArray(mutes)) throw new UsageError(`--mutelist ${file}: expected {"mutes": [{"control", "resource", "reason", "expires"}, ...]}`);
  return mutes.map((entry: unknown, i): MuteEntry => {
    const where = `--mutelist ${file}, entry ${i + 1}`;
    const e = (entry ?? {}) as Record<string, unknown>;
    for (const field of ['control', 'resource', 'reason', 'expires']) {
      if (typeof e[field] !== 'string' || (e[field] as string).trim() === '') throw new UsageError(`${where}: "${field}" is missing; every entry names control, resource, reason and expires`);
    }
    const unknown = Object.keys(e).filter((k) => !['control', 'resource', 'reason', 'expires'].includes(k));
    if (unknown.length) throw new UsageError(`${where}: unknown field ${unknown.join(', ')}; an entry has control, resource, reason and expires`);
    if (!controlIds.includes(e.control as string)) throw new UsageError(`${where}: no control '${e.control}' (bridge audit --json lists the ids)`);
    const expires = e.expires as string;
    if (!DAY.test(expires) || Number.isNaN(Date.parse(`${expires}T00:00:00Z`))) throw new UsageError(`${where}: expires '${expires}' is not a date: give YYYY-MM-DD`);
    return { control: e.control as string, resource: e.resource as string, reason: e.reason as string, expires };
  });
}

export function readMutelist(file: string, controlIds: readonly string[]): MuteEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`--mutelist ${file} cannot be read: give the path of a readable JSON file`);
  }
  return parseMutelist(text, file, controlIds);
}

const covers = (entry: MuteEntry, r: AuditResult) => entry.control === r.id && (entry.resource === '*' || entry.resource === r.resource || entry.resource === r.resourceArn);

/** Whether an entry still holds at `now`: through the whole of its expiry day, in UTC. */
export const stillHolds = (entry: MuteEntry, now: Date) => now.getTime() < Date.parse(`${entry.expires}T00:00:00Z`) + 86_400_000;

/** The results with the mutelist applied: a covered FAIL is MUTED, or says its mute expired. */
export function applyMutelist(results: readonly AuditResult[], entries: readonly MuteEntry[], now: Date): AuditResult[] {
  return results.map((r) => {
    if (r.status !== 'FAIL') return r;
    const matching = entries.filter((entry) => covers(entry, r));
    const holding = matching.find((entry) => stillHolds(entry, now));
    if (holding) return { ...r, status: 'MUTED', mute: { reason: holding.reason, expires: holding.expires } };
    const expired = matching[0];
    return expired ? { ...r, detail: `${r.detail} (its mute expired on ${expired.expires}: ${expired.reason})` } : r;
  });
}
