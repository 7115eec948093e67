/**
 * Effective permissions, computed rather than read as text: every Allow statement expanded to
 * concrete actions (against the IAM action list), each on its resource with its conditions; then
 * what the live policies grant beyond the intended ones, and what they lack. Pure: the action
 * list comes in as data.
 */
import type { PolicyDocument, PolicyStatement } from '../policy.js';
import { globMatches, normaliseStatement } from '../policy.js';

/** service prefix (lower case) -> its actions as AWS spells them (GetObject), without the prefix. Matching ignores case, as IAM does. */
export type ActionCatalogue = ReadonlyMap<string, readonly string[]>;

export interface Grant {
  /** service:Action as the action list spells it (s3:GetObject); as written for a service it does not know. */
  action: string;
  resource: string;
  /** Canonical JSON of the statement's Condition, '' when none. */
  condition: string;
  /** The policy that grants it, for people ("inline policy extra", "managed policy AmazonS3ReadOnlyAccess"). */
  from?: string;
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export { globMatches };

/** The concrete actions a pattern names. A service the catalogue does not know stays as written. */
export function expandAction(pattern: string, catalogue: ActionCatalogue): string[] {
  if (pattern === '*') return [...catalogue].flatMap(([service, actions]) => actions.map((a) => `${service}:${a}`));
  const [written, action = ''] = pattern.split(':') as [string, string?];
  const service = written.toLowerCase();
  const known = catalogue.get(service);
  if (!known) return [pattern];
  return known.filter((a) => globMatches(action, a)).map((a) => `${service}:${a}`);
}

function conditionKey(statement: PolicyStatement): string {
  const normal = normaliseStatement(statement).Condition;
  return normal ? JSON.stringify(normal) : '';
}

/** The grants of one document's Allow statements (Deny statements only narrow; they are not counted). */
export function grantsOf(document: PolicyDocument | null | undefined, catalogue: ActionCatalogue, from?: string): Grant[] {
  const grants: Grant[] = [];
  for (const statement of document?.Statement ?? []) {
    if (statement.Effect !== 'Allow') continue;
    const condition = conditionKey(statement);
    const actions =
      statement.Action !== undefined
        ? list(statement.Action).flatMap((a) => expandAction(a, catalogue))
        : // NotAction allows everything else: all the catalogue's actions but those.
          expandAction('*', catalogue).filter((a) => !list(statement.NotAction).some((n) => globMatches(n, a)));
    const resources = statement.Resource !== undefined ? list(statement.Resource) : ['*'];
    for (const action of new Set(actions)) for (const resource of resources) grants.push({ action, resource, condition, ...(from ? { from } : {}) });
  }
  return grants;
}

/** Whether the live conditions are at least as strict as the intended ones (each intended key, same values). */
export function conditionAtLeastAsStrict(live: string, intended: string): boolean {
  if (intended === '') return true;
  if (live === '') return false;
  const l = JSON.parse(live) as Record<string, Record<string, string[]>>;
  const i = JSON.parse(intended) as Record<string, Record<string, string[]>>;
  return Object.entries(i).every(([operator, keys]) =>
    Object.entries(keys).every(([key, values]) => {
      const liveValues = l[operator]?.[key];
      return liveValues !== undefined && liveValues.every((v) => values.includes(v));
    }),
  );
}

function covers(wider: Grant, narrower: Grant): boolean {
  return wider.action.toLowerCase() === narrower.action.toLowerCase() && globMatches(wider.resource, narrower.resource, false) && conditionAtLeastAsStrict(narrower.condition, wider.condition);
}

export interface GrantDifference {
  /** Granted live, not by the intended policies. */
  extra: Grant[];
  /** Intended, not granted live. */
  missing: Grant[];
}

export function compareGrants(live: Grant[], intended: Grant[]): GrantDifference {
  return {
    extra: live.filter((g) => !intended.some((i) => covers(i, g))),
    missing: intended.filter((i) => !live.some((g) => covers(g, i))),
  };
}

/** "allows s3:DeleteObject, s3:GetObject on arn:... (inline policy extra)": one line per resource and policy, the first actions named. */
export function describeGrants(verb: string, grants: Grant[], limit = 6): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const g of grants) {
    const key = `${g.resource}${g.condition ? ' (with conditions)' : ''}${g.from ? `, from ${g.from}` : ''}`;
    byResource.set(key, (byResource.get(key) ?? new Set()).add(g.action));
  }
  return [...byResource].map(([resource, actions]) => {
    const sorted = [...actions].sort();
    const more = sorted.length > limit ? ` and ${sorted.length - limit} more` : '';
    return `${verb} ${sorted.slice(0, limit).join(', ')}${more} on ${resource}`;
  });
}

/**
 * Actions that let a principal give itself (or a principal it controls) more access: IAM policy
 * and credential changes, passing roles, changing code that runs as another role, key policies.
 */
export const ESCALATION_ACTIONS = [
  'iam:passrole',
  'iam:putrolepolicy',
  'iam:putuserpolicy',
  'iam:putgrouppolicy',
  'iam:attachrolepolicy',
  'iam:attachuserpolicy',
  'iam:attachgrouppolicy',
  'iam:createpolicyversion',
  'iam:setdefaultpolicyversion',
  'iam:createaccesskey',
  'iam:createloginprofile',
  'iam:updateloginprofile',
  'iam:updateassumerolepolicy',
  'iam:addusertogroup',
  'iam:putrolepermissionsboundary',
  'iam:deleterolepermissionsboundary',
  'iam:putuserpermissionsboundary',
  'iam:deleteuserpermissionsboundary',
  'sts:assumerole',
  'lambda:updatefunctioncode',
  'lambda:updatefunctionconfiguration',
  'lambda:createfunction',
  'lambda:addpermission',
  'lambda:createeventsourcemapping',
  'kms:putkeypolicy',
  'kms:creategrant',
  'ssm:sendcommand',
  'ssm:startsession',
  'ec2:runinstances',
  'cloudformation:createstack',
  'cloudformation:updatestack',
  'glue:createdevendpoint',
  'glue:updatedevendpoint',
  'sagemaker:createnotebookinstance',
  'codebuild:createproject',
  'ecs:runtask',
];

export function escalationGrants(grants: Grant[]): Grant[] {
  return grants.filter((g) => ESCALATION_ACTIONS.includes(g.action.toLowerCase()));
}

/** Allow * on * (or NotAction with Resource *): administrator access. */
export function isAdminStatement(statement: PolicyStatement): boolean {
  if (statement.Effect !== 'Allow') return false;
  const resources = statement.Resource !== undefined ? list(statement.Resource) : ['*'];
  const allResources = resources.includes('*');
  const allActions = statement.Action !== undefined ? list(statement.Action).some((a) => a === '*' || a === '*:*') : statement.NotAction !== undefined;
  return allActions && allResources;
}

/** The services a set of documents names (to load only their action lists). */
export function servicesNamed(documents: (PolicyDocument | null | undefined)[]): { services: Set<string>; all: boolean } {
  const services = new Set<string>();
  let all = false;
  for (const document of documents) {
    for (const statement of document?.Statement ?? []) {
      if (statement.NotAction !== undefined) all = true;
      for (const action of list(statement.Action)) {
        if (action === '*' || action.startsWith('*')) all = true;
        else services.add(action.toLowerCase().split(':')[0] as string);
      }
    }
  }
  return { services, all };
}
