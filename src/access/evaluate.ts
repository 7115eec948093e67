/**
 * AWS's policy evaluation, for what a bridge stack uses (IAM User Guide, "Policy evaluation
 * logic"; KMS Developer Guide, "Determining access to an AWS KMS key"): one request, the
 * principal's identity policies and the resource's policy, judged together.
 *
 *  1. An applicable Deny in any of them denies.
 *  2. KMS keys and role trust: the resource policy must allow. A statement naming the principal
 *     (or its service) allows by itself; one naming the account (its root) hands the decision to
 *     the principal's identity policies, which must then allow.
 *  3. Elsewhere, in one account: an Allow in the identity policies or in the resource policy (for
 *     this principal) is enough. Across accounts both are needed. Service principals and
 *     anonymous callers have no identity policies: only the resource policy can allow them.
 *  4. Otherwise the request is implicitly denied.
 *
 * What it does not understand (an element, an operator, a policy variable) makes the verdict
 * "cannot judge": never a guessed Allow or Deny. Pure.
 */
import { globMatches, type PolicyDocument, type PolicyStatement } from '../policy.js';
import { CannotJudge, conditionsHold, type RequestContext } from './conditions.js';

export type RequestPrincipal =
  | { kind: 'aws'; arn: string; account: string }
  | { kind: 'service'; service: string }
  | { kind: 'anonymous' };

export interface AccessRequest {
  principal: RequestPrincipal;
  action: string;
  resource: string;
  /** Condition keys as AWS would send them, lower-cased. */
  context: RequestContext;
}

export interface NamedPolicy {
  /** For the decision path: "key policy", "inline policy S-ingest of role ...". */
  name: string;
  document: PolicyDocument;
}

export interface PolicySet {
  identity: NamedPolicy[];
  resource: NamedPolicy | null;
  /** The account that owns the resource. */
  resourceAccount: string;
  /** A key policy or a trust policy: nothing is allowed unless it allows (step 2). */
  resourcePolicyRequired: boolean;
}

export interface Decider {
  policy: string;
  sid: string;
  effect: 'Allow' | 'Deny';
}

export interface Verdict {
  decision: 'allow' | 'deny' | 'cannot-judge';
  /** Deny: explicit (a Deny statement) or implicit (nothing allowed). */
  explicit: boolean;
  /** The statements that decided, in the order they count. */
  by: Decider[];
  reason: string;
}

/**
 * The condition keys a request of the table says all there is of: when one of these is absent, AWS
 * does not send it. Any other key (aws:PrincipalType, aws:SourceIp, tags...) AWS may well send,
 * so a condition on it cannot be judged from the table.
 */
const MODELLED_KEYS = new Set([
  'aws:securetransport',
  'aws:principalarn',
  'aws:principalaccount',
  'aws:sourcearn',
  'aws:sourceaccount',
  'kms:viaservice',
  'kms:calleraccount',
  's3:x-amz-server-side-encryption',
  's3:x-amz-server-side-encryption-aws-kms-key-id',
]);

export function isModelledKey(key: string): boolean {
  return MODELLED_KEYS.has(key) || key.startsWith('kms:encryptioncontext:');
}

const KNOWN_ELEMENTS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);

function list(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

function noVariables(pattern: string): string {
  // Policy variables (${aws:username} ...) are not used by bridge's documents: judge none.
  if (/\$\{[^}]+\}/.test(pattern)) throw new CannotJudge(`policy variable in ${pattern}`);
  return pattern;
}

function matchesAction(statement: PolicyStatement, action: string): boolean {
  if (statement.Action !== undefined) return list(statement.Action).some((a) => globMatches(noVariables(a), action));
  if (statement.NotAction !== undefined) return !list(statement.NotAction).some((a) => globMatches(noVariables(a), action));
  throw new CannotJudge('a statement with neither Action nor NotAction');
}

function matchesResource(statement: PolicyStatement, resource: string, resourcePolicy: boolean): boolean {
  if (statement.Resource !== undefined) return list(statement.Resource).some((r) => globMatches(noVariables(r), resource, false));
  if (statement.NotResource !== undefined) return !list(statement.NotResource).some((r) => globMatches(noVariables(r), resource, false));
  // A resource policy (a trust policy, say) may leave Resource out: it is about its own resource.
  if (resourcePolicy) return true;
  throw new CannotJudge('an identity statement with neither Resource nor NotResource');
}

/** How a resource-policy statement's Principal names the request's principal. */
type Naming = 'direct' | 'account' | 'none';

function accountOfArn(value: string): string | undefined {
  return /^arn:[\w-]+:iam::(\d{12}):root$/.exec(value)?.[1] ?? (/^\d{12}$/.test(value) ? value : undefined);
}

/** A role's session (arn:P:sts::A:assumed-role/NAME/SESSION) is the role (arn:P:iam::A:role/PATH/NAME). */
function sameRole(policyArn: string, requestArn: string): boolean {
  const session = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(requestArn);
  const role = /^arn:([\w-]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(policyArn);
  return session !== null && role !== null && session[1] === role[1] && session[2] === role[2] && session[3] === role[3];
}

function naming(statement: PolicyStatement, principal: RequestPrincipal): Naming {
  if (statement.NotPrincipal !== undefined) throw new CannotJudge('NotPrincipal');
  const p = statement.Principal;
  if (p === undefined) throw new CannotJudge('a resource-policy statement without Principal');
  if (p === '*') return 'direct';
  // AWS returns {"AWS": ARN}; the local AWS returns a Lambda permission's account or ARN bare.
  const shaped = typeof p === 'string' && (/^\d{12}$/.test(p) || p.startsWith('arn:')) ? { AWS: p } : p;
  if (typeof shaped !== 'object' || shaped === null) throw new CannotJudge(`Principal ${JSON.stringify(p)}`);
  const entries = shaped as Record<string, unknown>;
  for (const key of Object.keys(entries)) if (!['AWS', 'Service', 'Federated', 'CanonicalUser'].includes(key)) throw new CannotJudge(`Principal ${key}`);
  const aws = list(entries.AWS);
  const services = list(entries.Service);
  if (aws.includes('*')) return 'direct';
  if (principal.kind === 'service') return services.includes(principal.service) ? 'direct' : 'none';
  if (principal.kind === 'anonymous') return 'none';
  if (aws.includes(principal.arn) || aws.some((value) => sameRole(value, principal.arn))) return 'direct';
  if (aws.some((value) => accountOfArn(value) === principal.account)) return 'account';
  return 'none';
}

interface Applicable {
  decider: Decider;
  naming: Naming;
  identity: boolean;
}

function applicable(policy: NamedPolicy, request: AccessRequest, identity: boolean): Applicable[] {
  const found: Applicable[] = [];
  policy.document.Statement.forEach((statement, index) => {
    for (const element of Object.keys(statement)) if (!KNOWN_ELEMENTS.has(element)) throw new CannotJudge(`policy element ${element}`);
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') throw new CannotJudge(`Effect ${String(statement.Effect)}`);
    if (!matchesAction(statement, request.action)) return;
    if (!matchesResource(statement, request.resource, !identity)) return;
    const named: Naming = identity ? 'direct' : naming(statement, request.principal);
    if (named === 'none') return;
    if (!conditionsHold(statement.Condition as Record<string, Record<string, unknown>> | undefined, request.context, isModelledKey)) return;
    found.push({ decider: { policy: policy.name, sid: statement.Sid ?? `statement ${index + 1}`, effect: statement.Effect }, naming: named, identity });
  });
  return found;
}

function describe(d: Decider): string {
  return `${d.policy} ${d.sid}`;
}

export function evaluate(request: AccessRequest, policies: PolicySet): Verdict {
  let statements: Applicable[];
  try {
    // Service principals and anonymous callers have no identity policies of their own.
    const identity = request.principal.kind === 'aws' ? policies.identity.flatMap((p) => applicable(p, request, true)) : [];
    const resource = policies.resource ? applicable(policies.resource, request, false) : [];
    statements = [...identity, ...resource];
  } catch (error) {
    if (error instanceof CannotJudge) return { decision: 'cannot-judge', explicit: false, by: [], reason: `cannot judge: ${error.message}` };
    throw error;
  }
  const denies = statements.filter((s) => s.decider.effect === 'Deny');
  if (denies.length > 0) return { decision: 'deny', explicit: true, by: denies.map((s) => s.decider), reason: `denied by ${describe(denies[0]!.decider)}` };
  const identityAllows = statements.filter((s) => s.identity);
  const resourceDirect = statements.filter((s) => !s.identity && s.naming === 'direct');
  const resourceAccount = statements.filter((s) => !s.identity && s.naming === 'account');
  const sameAccount = request.principal.kind === 'aws' && request.principal.account === policies.resourceAccount;
  if (policies.resourcePolicyRequired) {
    if (resourceDirect.length > 0 && (sameAccount || request.principal.kind !== 'aws' || identityAllows.length > 0)) {
      return { decision: 'allow', explicit: false, by: resourceDirect.map((s) => s.decider), reason: `allowed by ${describe(resourceDirect[0]!.decider)}` };
    }
    if (resourceAccount.length > 0 && identityAllows.length > 0) {
      return {
        decision: 'allow',
        explicit: false,
        by: [resourceAccount[0]!.decider, ...identityAllows.map((s) => s.decider)],
        reason: `allowed by ${describe(identityAllows[0]!.decider)}, as ${describe(resourceAccount[0]!.decider)} lets the account's policies decide`,
      };
    }
    const why = resourceAccount.length > 0 ? 'the account may decide, but no identity policy allows it' : `${policies.resource?.name ?? 'the resource policy'} does not allow it`;
    return { decision: 'deny', explicit: false, by: [], reason: `implicitly denied: ${why}` };
  }
  const resourceAllows = [...resourceDirect, ...(sameAccount ? [] : resourceAccount)];
  if (sameAccount) {
    // Within one account, a resource policy naming the account (not the principal) still needs IAM.
    const allows = [...identityAllows, ...resourceDirect];
    if (allows.length > 0) return { decision: 'allow', explicit: false, by: allows.map((s) => s.decider), reason: `allowed by ${describe(allows[0]!.decider)}` };
    return { decision: 'deny', explicit: false, by: [], reason: 'implicitly denied: no policy allows it' };
  }
  if (request.principal.kind !== 'aws') {
    if (resourceDirect.length > 0) return { decision: 'allow', explicit: false, by: resourceDirect.map((s) => s.decider), reason: `allowed by ${describe(resourceDirect[0]!.decider)}` };
    return { decision: 'deny', explicit: false, by: [], reason: 'implicitly denied: the resource policy does not allow this caller' };
  }
  if (resourceAllows.length > 0 && identityAllows.length > 0) {
    return { decision: 'allow', explicit: false, by: [...resourceAllows, ...identityAllows].map((s) => s.decider), reason: `allowed across accounts by ${describe(resourceAllows[0]!.decider)} and the caller's own policy` };
  }
  return { decision: 'deny', explicit: false, by: [], reason: 'implicitly denied: across accounts both the resource policy and the caller\'s policy must allow' };
}
