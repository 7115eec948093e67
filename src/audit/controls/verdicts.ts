/** Small constructors shared by the controls. */
import type { PolicyStatement } from '../../policy.js';
import type { AuditSnapshot, Evidence, Verdict } from '../types.js';
import { intendedOf, liveOf, type IntendedOf, type Kind, type LiveOf } from '../../resources/index.js';

export const pass = (resource: string, detail: string): Verdict => ({ status: 'PASS', resource, detail });
export const fail = (resource: string, detail: string, evidence?: Evidence): Verdict => ({ status: 'FAIL', resource, detail, ...(evidence ? { evidence } : {}) });
export const skip = (resource: string, detail: string): Verdict => ({ status: 'SKIP', resource, detail });
export const missing = (resource: string, what: string): Verdict => fail(resource, `${what} does not exist: run bridge setup`);

/** A kind's live state in the snapshot, typed by its kind (src/resources/index.ts). */
export function live<K extends Kind>(snapshot: AuditSnapshot, kind: K): LiveOf<K> | null {
  return liveOf(snapshot.lives, kind);
}

/** A kind's intended state in the snapshot (a control judges only kinds read without error, which have one). */
export function intended<K extends Kind>(snapshot: AuditSnapshot, kind: K): IntendedOf<K> {
  return intendedOf(snapshot.intended, kind) as IntendedOf<K>;
}

export function list(value: unknown): string[] {
  return value === undefined || value === null ? [] : Array.isArray(value) ? value.map(String) : [String(value)];
}

/** The AWS principals a statement names, "*" included. */
export function awsPrincipals(statement: PolicyStatement): string[] {
  const p = statement.Principal;
  if (p === '*') return ['*'];
  if (p && typeof p === 'object') return list((p as { AWS?: unknown }).AWS);
  return [];
}

/** An Allow to everyone, or to an account other than ours. */
export function grantsOutside(statement: PolicyStatement, account: string): string | null {
  if (statement.Effect !== 'Allow') return null;
  for (const principal of awsPrincipals(statement)) {
    if (principal === '*') return 'allows everyone (Principal *)';
    const other = /^arn:aws[\w-]*:iam::(\d{12}):/.exec(principal)?.[1] ?? (/^\d{12}$/.test(principal) ? principal : undefined);
    if (other && other !== account) return `allows account ${other}`;
  }
  return null;
}

/** A check that needs one resource: FAIL "does not exist: run bridge setup" without it, else `judge`. */
export function whenPresent<K extends Kind>(
  kind: K,
  label: (s: AuditSnapshot) => string,
  what: string,
  judge: (found: LiveOf<K>, s: AuditSnapshot) => Verdict,
): (s: AuditSnapshot) => Verdict {
  return (s) => {
    const found = live(s, kind);
    return found ? judge(found, s) : missing(label(s), what);
  };
}
