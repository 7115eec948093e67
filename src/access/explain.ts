/**
 * `bridge audit --explain PRINCIPAL ACTION RESOURCE`: one request of the access table (or one
 * like it) evaluated over the live policies, with the path of the decision. Pure.
 */
import type { StackNames } from '../names.js';
import { evaluate, type AccessRequest, type Verdict } from './evaluate.js';
import { judgeAccess, type StackPolicies } from './judge.js';
import { principals, type AccessRow, type PrincipalName } from './table.js';

export interface Explanation {
  request: AccessRequest;
  verdict: Verdict;
  /** The table's row for this request, when there is one: its intended verdict and what it stands for. */
  row: AccessRow | null;
}

export function isPrincipalName(value: string, n: StackNames): value is PrincipalName {
  return Object.keys(principals(n)).includes(value);
}

/** The table's row for the request if it has one (its context), else the request with TLS and the caller's keys. */
export function explain(rows: readonly AccessRow[], n: StackNames, policies: StackPolicies, principal: PrincipalName, action: string, resource: string): Explanation {
  const row = rows.find((r) => r.principal === principal && r.request.action.toLowerCase() === action.toLowerCase() && r.request.resource === resource) ?? null;
  if (row) {
    const [judged] = judgeAccess([row], n, policies);
    return { request: row.request, verdict: judged!.verdict, row };
  }
  const who = principals(n)[principal];
  const context = { 'aws:securetransport': true, ...(who.kind === 'aws' ? { 'aws:principalarn': who.arn, 'aws:principalaccount': who.account } : {}) };
  const request: AccessRequest = { principal: who, action, resource, context };
  const probe: AccessRow = { principal, what: 'the request asked about', request, intended: 'deny' };
  const [judged] = judgeAccess([probe], n, policies);
  return { request, verdict: judged?.verdict ?? evaluate(request, { identity: [], resource: null, resourceAccount: n.account, resourcePolicyRequired: false }), row: null };
}

export function explanationLines(e: Explanation): string[] {
  const who = e.request.principal.kind === 'aws' ? e.request.principal.arn : e.request.principal.kind === 'service' ? e.request.principal.service : 'anyone (anonymous)';
  const lines = [`request   ${who} ${e.request.action} on ${e.request.resource}`];
  const context = Object.entries(e.request.context);
  if (context.length > 0) lines.push(`context   ${context.map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join(' ')}`);
  if (e.row) lines.push(`table     ${e.row.principal}: ${e.row.what} (intended ${e.row.intended})`);
  else lines.push('table     no row for this request: judged with TLS and the caller\'s own keys only');
  lines.push(`decision  ${e.verdict.decision}${e.verdict.decision === 'deny' ? (e.verdict.explicit ? ' (explicit)' : ' (implicit)') : ''}: ${e.verdict.reason}`);
  for (const d of e.verdict.by) lines.push(`  by      ${d.effect} ${d.policy} ${d.sid}`);
  if (e.row) lines.push(e.verdict.decision === e.row.intended ? 'as intended' : `NOT as intended (${e.row.intended})`);
  return lines;
}
