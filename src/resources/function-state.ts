/**
 * The ingest function's state as bridge judges it, pure: the live and intended function, what
 * differs, and whether a concurrency reservation fits the account's quota.
 */
import type { Architecture } from '@aws-sdk/client-lambda';
import { awsErrorName } from '../errors.js';
import { tagsChange, type Tags } from './tags.js';
import { settingChange, type FieldChange } from './types.js';

export interface FunctionLive {
  arn: string;
  runtime: string;
  role: string;
  handler: string;
  timeout: number;
  memory: number;
  architectures: string[];
  environment: Record<string, string>;
  tracing: string;
  codeSha256: string;
  lastUpdateStatus: string;
  reservedConcurrency: number | null;
  /** The account's concurrency, read only when the reservation differs from the intended one. */
  accountConcurrency: AccountConcurrency | null;
  tags: Tags;
}

/** Lambda's GetAccountSettings, as far as a reservation depends on it. */
export interface AccountConcurrency {
  limit: number;
  unreserved: number;
}

export interface FunctionIntended {
  runtime: string;
  role: string;
  handler: string;
  timeout: number;
  memory: number;
  architectures: Architecture[];
  environment: Record<string, string>;
  tracing: 'Active';
  codeSha256: string;
  reservedConcurrency: number | null;
  tags: Tags;
}

/**
 * Lambda keeps 100 executions unreserved (or the whole limit, on accounts whose limit is lower:
 * new accounts get 10), and refuses a reservation that would eat into them.
 */
export function minimumUnreserved(account: AccountConcurrency): number {
  return Math.min(100, account.limit);
}

export function reservationFits(live: Pick<FunctionLive, 'reservedConcurrency' | 'accountConcurrency'>, want: number): boolean {
  const account = live.accountConcurrency;
  if (!account) return true;
  return account.unreserved + (live.reservedConcurrency ?? 0) - want >= minimumUnreserved(account);
}

export function reservationSkippedNote(want: number, why: string): string {
  return `reserved concurrency ${want} skipped: ${why}; the function runs on the account's unreserved pool. Ask for a higher Lambda "Concurrent executions" quota (Service Quotas), or run setup with --reserved-concurrency none to stop this note`;
}

export function accountWhy(account: AccountConcurrency): string {
  return `the account's concurrency limit is ${account.limit} with ${account.unreserved} unreserved, and Lambda keeps ${minimumUnreserved(account)} unreserved`;
}

/** Lambda's answer when a reservation would leave less than its minimum unreserved. */
export function isBelowUnreservedMinimum(error: unknown): boolean {
  return awsErrorName(error) === 'InvalidParameterValueException' && /below its minimum value/i.test((error as Error).message);
}

/** Names only: an environment value that drifted in may be a secret. */
function environmentChange(live: Record<string, string>, intended: Record<string, string>): FieldChange[] {
  const names = [...new Set([...Object.keys(live), ...Object.keys(intended)])].sort();
  const details = names.flatMap((name) => {
    if (!(name in intended)) return [`- ${name} (not bridge's: removed)`];
    if (!(name in live)) return [`+ ${name}`];
    return live[name] === intended[name] ? [] : [`~ ${name}`];
  });
  return details.length > 0 ? [{ field: 'environment', details }] : [];
}

export const CONFIG_FIELDS = ['runtime', 'role', 'handler', 'timeout', 'memory', 'tracing', 'environment'];

export function diffFunction(live: FunctionLive | null, intended: FunctionIntended): FieldChange[] {
  if (!live) return ['function', 'code', 'environment', ...(intended.reservedConcurrency === null ? [] : ['reserved-concurrency']), 'tags'].map((field) => ({ field }));
  const changes: FieldChange[] = [];
  const scalar = (field: string, before: string | number, after: string | number) => changes.push(...settingChange(field, before, after));
  scalar('runtime', live.runtime, intended.runtime);
  scalar('role', live.role, intended.role);
  scalar('handler', live.handler, intended.handler);
  scalar('timeout', live.timeout, intended.timeout);
  scalar('memory', live.memory, intended.memory);
  scalar('tracing', live.tracing, intended.tracing);
  changes.push(...environmentChange(live.environment, intended.environment));
  if (live.codeSha256 !== intended.codeSha256 || live.architectures.join() !== intended.architectures.join()) {
    changes.push({ field: 'code', before: live.codeSha256, after: intended.codeSha256 });
  }
  const want = intended.reservedConcurrency;
  // A reservation the account's quota cannot hold is no change to make (check() says why).
  if (live.reservedConcurrency !== want && (want === null || reservationFits(live, want))) {
    changes.push({ field: 'reserved-concurrency', before: String(live.reservedConcurrency ?? 'none'), after: String(want ?? 'none') });
  }
  changes.push(...tagsChange(live.tags, intended.tags));
  return changes;
}
