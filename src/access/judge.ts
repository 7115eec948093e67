/**
 * The access table judged against the policies a stack holds: each row's request evaluated with
 * the principal's identity policies and the policy of the resource it names, as AWS would. Pure:
 * the policies come in as data (read back from AWS by the caller).
 */
import type { StackNames } from '../names.js';
import type { PolicyDocument } from '../policy.js';
import { evaluate, type NamedPolicy, type PolicySet, type Verdict } from './evaluate.js';
import { OTHER_ACCOUNT, type AccessRow } from './table.js';

export interface StackPolicies {
  /** The execution role's inline and attached policies. */
  role: NamedPolicy[];
  /** The operator user's own policies and its groups'. */
  operator: NamedPolicy[];
  bucket: PolicyDocument | null;
  key: PolicyDocument | null;
  function: PolicyDocument | null;
  trust: PolicyDocument | null;
  /** The scheduler role's inline and attached policies, and its trust (empty and null without a schedule). */
  scheduler?: NamedPolicy[];
  schedulerTrust?: PolicyDocument | null;
}

export interface Judged {
  row: AccessRow;
  verdict: Verdict;
  /** The verdict is the intended one. */
  holds: boolean;
}

/** Another account's principal is assumed to be an administrator there: the worst case. */
const ADMIN_ELSEWHERE: NamedPolicy = { name: `an administrator policy in account ${OTHER_ACCOUNT}`, document: { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } };

function identityOf(row: AccessRow, policies: StackPolicies): NamedPolicy[] {
  switch (row.principal) {
    case 'execution-role':
      return policies.role;
    case 'operator':
      return policies.operator;
    case 'scheduler-role':
      return policies.scheduler ?? [];
    case 'other-account':
      return [ADMIN_ELSEWHERE];
    default:
      return [];
  }
}

/** The bucket or one of its objects. */
export function isBucketResource(resource: string, n: StackNames): boolean {
  return resource === n.bucketArn || resource.startsWith(`${n.bucketArn}/`);
}

function resourceOf(row: AccessRow, n: StackNames, policies: StackPolicies): Pick<PolicySet, 'resource' | 'resourcePolicyRequired'> {
  const { resource, action } = row.request;
  const named = (name: string, document: PolicyDocument | null) => (document ? { name, document } : null);
  if (isBucketResource(resource, n)) return { resource: named('bucket policy', policies.bucket), resourcePolicyRequired: false };
  if (/^arn:[\w-]+:kms:/.test(resource)) return { resource: named('key policy', policies.key) ?? { name: 'key policy', document: { Statement: [] } }, resourcePolicyRequired: true };
  if (resource === n.functionArn) return { resource: named('function policy', policies.function), resourcePolicyRequired: false };
  if (resource === n.roleArn && action.toLowerCase() === 'sts:assumerole') {
    return { resource: named('trust policy', policies.trust) ?? { name: 'trust policy', document: { Statement: [] } }, resourcePolicyRequired: true };
  }
  if (resource === n.schedulerRoleArn && action.toLowerCase() === 'sts:assumerole') {
    return { resource: named('scheduler role trust policy', policies.schedulerTrust ?? null) ?? { name: 'scheduler role trust policy', document: { Statement: [] } }, resourcePolicyRequired: true };
  }
  return { resource: null, resourcePolicyRequired: false };
}

export function judgeAccess(rows: readonly AccessRow[], n: StackNames, policies: StackPolicies): Judged[] {
  return rows.map((row) => {
    const verdict = evaluate(row.request, { identity: identityOf(row, policies), resourceAccount: n.account, ...resourceOf(row, n, policies) });
    return { row, verdict, holds: verdict.decision === row.intended };
  });
}
