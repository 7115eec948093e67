/**
 * Policy documents as data: parse what AWS returns (IAM URL-encodes them), and normalise so two
 * documents that mean the same compare equal (statement order, string-or-array, Sid, action case).
 * Pure: no I/O.
 */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: PolicyStatement[];
}

/** IAM's glob: * any run of characters, ? any one; case-insensitive unless told. */
export function globMatches(pattern: string, value: string, caseInsensitive = true): boolean {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, caseInsensitive ? 'i' : '').test(value);
}

/** Parses a policy as AWS returns it: plain JSON, or URL-encoded JSON (IAM). */
export function parsePolicy(text: string): PolicyDocument {
  const trimmed = text.trim();
  const json = trimmed.startsWith('{') ? trimmed : decodeURIComponent(trimmed);
  const parsed = JSON.parse(json) as { Statement?: unknown; Version?: string; Id?: string };
  const statements = parsed.Statement === undefined ? [] : Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  const document: PolicyDocument = { Statement: statements as PolicyStatement[] };
  if (parsed.Version !== undefined) document.Version = parsed.Version;
  if (parsed.Id !== undefined) document.Id = parsed.Id;
  return document;
}

function list(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

function sortedUnique(values: string[]): string[] {
  return [...new Set(values)].sort();
}

function normalisePrincipal(principal: unknown): unknown {
  if (principal === undefined) return undefined;
  if (principal === '*') return { AWS: ['*'] };
  if (typeof principal !== 'object' || principal === null) return principal;
  const out: Record<string, string[]> = {};
  for (const key of Object.keys(principal).sort()) {
    out[key] = sortedUnique(list((principal as Record<string, unknown>)[key]));
  }
  return out;
}

function normaliseCondition(condition: PolicyStatement['Condition']): unknown {
  if (!condition) return undefined;
  const out: Record<string, Record<string, string[]>> = {};
  for (const operator of Object.keys(condition).sort()) {
    const block = condition[operator] ?? {};
    const keys: Record<string, string[]> = {};
    // Condition keys are case-insensitive; values are not.
    for (const key of Object.keys(block).sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()))) {
      keys[key.toLowerCase()] = sortedUnique(list(block[key]));
    }
    out[operator] = keys;
  }
  return out;
}

/** A statement in canonical form: no Sid, arrays sorted, actions lower-cased. */
export function normaliseStatement(statement: PolicyStatement): Record<string, unknown> {
  const out: Record<string, unknown> = { Effect: statement.Effect };
  const principal = normalisePrincipal(statement.Principal);
  if (principal !== undefined) out.Principal = principal;
  const notPrincipal = normalisePrincipal(statement.NotPrincipal);
  if (notPrincipal !== undefined) out.NotPrincipal = notPrincipal;
  if (statement.Action !== undefined) out.Action = sortedUnique(list(statement.Action).map((a) => a.toLowerCase()));
  if (statement.NotAction !== undefined) out.NotAction = sortedUnique(list(statement.NotAction).map((a) => a.toLowerCase()));
  if (statement.Resource !== undefined) out.Resource = sortedUnique(list(statement.Resource));
  if (statement.NotResource !== undefined) out.NotResource = sortedUnique(list(statement.NotResource));
  const condition = normaliseCondition(statement.Condition);
  if (condition !== undefined) out.Condition = condition;
  return out;
}

function canonical(statement: PolicyStatement): string {
  return JSON.stringify(normaliseStatement(statement));
}

export interface StatementDifference {
  /** Live statements that the intended document does not have. */
  extra: PolicyStatement[];
  /** Intended statements missing from the live document. */
  missing: PolicyStatement[];
}

/** Compares two documents as sets of canonical statements. */
export function diffStatements(live: PolicyDocument | null, intended: PolicyDocument): StatementDifference {
  const liveStatements = live?.Statement ?? [];
  const liveKeys = new Set(liveStatements.map(canonical));
  const intendedKeys = new Set(intended.Statement.map(canonical));
  return {
    extra: liveStatements.filter((s) => !intendedKeys.has(canonical(s))),
    missing: intended.Statement.filter((s) => !liveKeys.has(canonical(s))),
  };
}

export function policiesEqual(live: PolicyDocument | null, intended: PolicyDocument): boolean {
  const { extra, missing } = diffStatements(live, intended);
  return extra.length === 0 && missing.length === 0;
}

/** One line per differing statement, for plans and errors: "+ Allow s3:PutObject on arn:...". */
export function describeStatementDifference(difference: StatementDifference): string[] {
  const line = (sign: string, s: PolicyStatement) => {
    const actions = s.Action !== undefined ? list(s.Action).join(',') : `not ${list(s.NotAction).join(',')}`;
    const resources = s.Resource !== undefined ? list(s.Resource).join(',') : s.NotResource !== undefined ? `not ${list(s.NotResource).join(',')}` : '';
    return `${sign} ${s.Effect} ${actions}${resources ? ` on ${resources}` : ''}${s.Condition ? ' (with conditions)' : ''}`;
  };
  return [...difference.missing.map((s) => line('+', s)), ...difference.extra.map((s) => line('-', s))];
}
