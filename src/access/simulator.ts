/**
 * IAM's policy simulator as a second opinion (bridge audit --aws-checks): what bridge asks
 * SimulateCustomPolicy and how it reads the answer. Pure: the calls are made in
 * src/audit/aws-opinions.ts. What the simulator can and cannot see is in aws-checks.ts.
 */
import type { ContextEntry, SimulateCustomPolicyCommandInput, SimulateCustomPolicyCommandOutput } from '@aws-sdk/client-iam';
import type { StackNames } from '../names.js';
import type { PolicyDocument } from '../policy.js';
import type { ContextValue, RequestContext } from './conditions.js';
import { evaluate, type NamedPolicy, type Verdict } from './evaluate.js';
import { isBucketResource, type StackPolicies } from './judge.js';
import type { AccessRow } from './table.js';

export interface SimulatedCell {
  row: AccessRow;
  /** What the simulator is shown. */
  scope: 'identity policies' | 'identity policies and the bucket policy';
  /** bridge's evaluator on the same documents. */
  ours: Verdict;
}

export interface SimulationCall {
  input: SimulateCustomPolicyCommandInput;
  /** The policy names behind PolicyInputList.1, .2, ... for the finding. */
  policyNames: string[];
  cells: SimulatedCell[];
}

export interface SimulationPlan {
  calls: SimulationCall[];
  /** Rows the simulator cannot be asked, with why (they are bridge's evaluator's alone). */
  beyond: { row: AccessRow; why: string }[];
}

/** IAM documents condition keys in this casing; key names are case-insensitive, values are not. */
const KEY_NAMES: Record<string, string> = {
  'aws:securetransport': 'aws:SecureTransport',
  'aws:principalarn': 'aws:PrincipalArn',
  'aws:principalaccount': 'aws:PrincipalAccount',
  'aws:sourcearn': 'aws:SourceArn',
  'aws:sourceaccount': 'aws:SourceAccount',
  'kms:viaservice': 'kms:ViaService',
  'kms:calleraccount': 'kms:CallerAccount',
  'kms:encryptioncontext:aws:s3:arn': 'kms:EncryptionContext:aws:s3:arn',
  'kms:encryptioncontext:aws:logs:arn': 'kms:EncryptionContext:aws:logs:arn',
  'kms:encryptioncontext:parameter_arn': 'kms:EncryptionContext:PARAMETER_ARN',
};

function contextEntry(key: string, value: ContextValue): ContextEntry {
  const ContextKeyName = KEY_NAMES[key] ?? key;
  if (Array.isArray(value)) return { ContextKeyName, ContextKeyType: 'stringList', ContextKeyValues: value.map(String) };
  if (typeof value === 'boolean') return { ContextKeyName, ContextKeyType: 'boolean', ContextKeyValues: [String(value)] };
  if (typeof value === 'number') return { ContextKeyName, ContextKeyType: 'numeric', ContextKeyValues: [String(value)] };
  return { ContextKeyName, ContextKeyType: 'string', ContextKeyValues: [String(value)] };
}

/** The simulator's context entries for a request's context, sorted so equal contexts group. */
export function contextEntries(context: RequestContext): ContextEntry[] {
  return Object.entries(context)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => contextEntry(key, value));
}

function beyondSimulator(row: AccessRow): string | null {
  switch (row.principal) {
    case 'execution-role':
    case 'operator':
    case 'scheduler-role':
      return null;
    case 'api-gateway':
    case 'lambda-service':
    case 'cloudwatch-logs':
    case 'scheduler-service':
      return 'the simulator takes an IAM user as the caller, never a service principal';
    case 'anonymous':
      return 'the simulator has no anonymous caller';
    case 'unrelated-user':
      return 'no identity policy of the stack speaks for it: only resource policies could allow it';
    case 'other-account':
      return "another account's policies are not the stack's to simulate";
  }
}

/** The calls that put the role's and the operator's rows to the simulator, one per principal, resource and context. */
export function simulationPlan(rows: readonly AccessRow[], n: StackNames, policies: StackPolicies): SimulationPlan {
  const calls = new Map<string, SimulationCall>();
  const beyond: SimulationPlan['beyond'] = [];
  for (const row of rows) {
    const why = beyondSimulator(row);
    if (why) {
      beyond.push({ row, why });
      continue;
    }
    const identity: NamedPolicy[] = row.principal === 'operator' ? policies.operator : row.principal === 'scheduler-role' ? (policies.scheduler ?? []) : policies.role;
    if (identity.length === 0) {
      beyond.push({ row, why: 'it holds no identity policy to simulate' });
      continue;
    }
    // The caller of a simulation with a resource policy must be an IAM user: the operator is one.
    const withBucket = row.principal === 'operator' && policies.bucket !== null && isBucketResource(row.request.resource, n);
    const resource = withBucket ? { name: 'bucket policy', document: policies.bucket as PolicyDocument } : null;
    const ours = evaluate(row.request, { identity, resource, resourceAccount: n.account, resourcePolicyRequired: false });
    const entries = contextEntries(row.request.context);
    const key = JSON.stringify([row.principal, row.request.resource, withBucket, entries]);
    let call = calls.get(key);
    if (!call) {
      const input: SimulateCustomPolicyCommandInput = {
        PolicyInputList: identity.map((p) => JSON.stringify(p.document)),
        ActionNames: [],
        ResourceArns: [row.request.resource],
        ContextEntries: entries,
      };
      if (resource) {
        input.ResourcePolicy = JSON.stringify(resource.document);
        input.CallerArn = n.operatorUserArn;
        input.ResourceOwner = `arn:${n.partition}:iam::${n.account}:root`;
      }
      call = { input, policyNames: identity.map((p) => p.name), cells: [] };
      calls.set(key, call);
    }
    if (!call.input.ActionNames!.includes(row.request.action)) call.input.ActionNames!.push(row.request.action);
    call.cells.push({ row, scope: withBucket ? 'identity policies and the bucket policy' : 'identity policies', ours });
  }
  return { calls: [...calls.values()], beyond };
}

export interface SimulatorAnswer {
  cell: SimulatedCell;
  aws: 'allow' | 'deny';
  /** The simulator's own word: allowed, explicitDeny or implicitDeny. */
  decision: string;
  /** The statements the simulator says matched, by bridge's policy names. */
  matched: string[];
  /** Context keys the simulator wanted and was not given. */
  missingContext: string[];
}

const DECISIONS: Record<string, 'allow' | 'deny'> = { allowed: 'allow', explicitDeny: 'deny', implicitDeny: 'deny' };

/** Reads a SimulateCustomPolicy answer (all its pages' EvaluationResults) for one call's cells. */
export function readSimulation(call: SimulationCall, results: NonNullable<SimulateCustomPolicyCommandOutput['EvaluationResults']>): SimulatorAnswer[] {
  const policyName = (id: string | undefined, type: string | undefined) => {
    if (type === 'resource' || id === 'ResourcePolicy') return 'bucket policy';
    const index = /PolicyInputList\.(\d+)/.exec(id ?? '')?.[1];
    return index ? (call.policyNames[Number(index) - 1] ?? id!) : (id ?? 'a policy');
  };
  return call.cells.map((cell) => {
    const result = results.find(
      (r) => r.EvalActionName?.toLowerCase() === cell.row.request.action.toLowerCase() && (r.EvalResourceName ?? cell.row.request.resource) === cell.row.request.resource,
    );
    if (!result) throw new Error(`the simulator gave no result for ${cell.row.request.action} on ${cell.row.request.resource}`);
    const aws = DECISIONS[result.EvalDecision ?? ''];
    if (!aws) throw new Error(`the simulator answered '${result.EvalDecision}' for ${cell.row.request.action}, which bridge does not know`);
    return {
      cell,
      aws,
      decision: result.EvalDecision as string,
      matched: [...new Set((result.MatchedStatements ?? []).map((m) => policyName(m.SourcePolicyId, m.SourcePolicyType)))],
      missingContext: result.MissingContextValues ?? [],
    };
  });
}
