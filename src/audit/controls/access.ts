/**
 * The access table (src/access/table.ts) judged over the stack's live policies together, as AWS
 * evaluates them: a finding names the request, the verdict, the intended one and the statement
 * that decided. A request the evaluator cannot judge makes the control ERROR, never a pass.
 */
import { judgeAccess, type StackPolicies } from '../../access/judge.js';
import { accessTable, type AccessRow } from '../../access/table.js';
import type { NamedPolicy } from '../../access/evaluate.js';
import type { PrincipalPolicies } from '../../resources/iam-policies.js';
import type { AuditSnapshot, Control } from '../types.js';
import { fail, intended, live, missing, pass } from './verdicts.js';

function named(owner: string, policies: PrincipalPolicies, s: AuditSnapshot): NamedPolicy[] {
  return [
    ...Object.entries(policies.inline).map(([name, document]) => ({ name: `inline policy ${name} of ${owner}`, document })),
    ...policies.attached.flatMap((arn) => {
      const document = s.managedPolicies.get(arn);
      return document ? [{ name: `managed policy ${arn.split('/').pop()} on ${owner}`, document }] : [];
    }),
  ];
}

/** Every document that decides access in the stack, as it is live. */
export function livePolicies(s: AuditSnapshot): StackPolicies {
  const role = live(s, 'execution-role');
  const operators = live(s, 'operators');
  const permission = live(s, 'api-permission');
  const scheduler = live(s, 'scheduler-role');
  return {
    role: role ? named(s.names.roleName, role.policies, s) : [],
    operator: [
      ...(operators?.user ? named(s.names.operatorUser, operators.user.policies, s) : []),
      ...(operators?.group && operators.user?.groups.includes(s.names.operatorGroup) ? named(s.names.operatorGroup, operators.group.policies, s) : []),
    ],
    bucket: live(s, 'bucket')?.policy ?? null,
    key: live(s, 'kms-key')?.policy ?? null,
    function: permission ? { Version: '2012-10-17', Statement: permission.statements } : null,
    trust: role?.trust ?? null,
    scheduler: scheduler ? named(s.names.schedulerRoleName, scheduler.policies, s) : [],
    schedulerTrust: scheduler?.trust ?? null,
  };
}

/** The access table for the stack as it is live; null when the key or the API is not there to name. */
export function liveAccessTable(s: AuditSnapshot): AccessRow[] | null {
  const api = live(s, 'rest-api');
  if (!s.keyArn || !api) return null;
  const apiAuth = intended(s, 'api')?.auth ?? 'aws-iam';
  const scheduled = !!intended(s, 'schedule')?.settings;
  return accessTable(s.names, { keyArn: s.keyArn, apiId: api.id, dataPrefix: s.dataPrefix, apiAuth, scheduled });
}

export const accessControls: Control[] = [
  {
    id: 'access-as-intended',
    title: 'Who may do what, with every policy evaluated together as AWS does, is as the access table says',
    severity: 'high',
    service: 'iam',
    frameworks: [{ framework: 'AWS documentation', id: 'IAM policy evaluation logic' }, { framework: 'AWS documentation', id: 'KMS key policy evaluation' }],
    remediation: 'Put back the documents the finding names (bridge audit --fix); the decisive statement is named for each request.',
    source: 'src/access/table.ts',
    reads: ['execution-role', 'operators', 'bucket', 'kms-key', 'api-permission', 'rest-api', 'managed-policies', 'scheduler-role', 'schedule'],
    fixes: ['execution-role', 'operators', 'operators-policy', 'bucket', 'kms-key-policy', 'api-permission', 'scheduler-role'],
    check(s) {
      if (!s.keyArn) return missing(s.names.keyAliasArn, 'the stack key');
      const rows = liveAccessTable(s);
      if (!rows) return missing(`stack ${s.stack}`, 'the REST API');
      const judged = judgeAccess(rows, s.names, livePolicies(s));
      const unjudged = judged.filter((j) => j.verdict.decision === 'cannot-judge');
      if (unjudged.length > 0) throw new Error(`${unjudged.length} requests cannot be judged (${unjudged[0]!.row.request.action}: ${unjudged[0]!.verdict.reason})`);
      const wrong = judged.filter((j) => !j.holds);
      if (wrong.length === 0) return pass(`stack ${s.stack}`, `${judged.length} requests of ${new Set(judged.map((j) => j.row.principal)).size} principals decided as intended`);
      return fail(
        `stack ${s.stack}`,
        wrong
          .slice(0, 6)
          .map((j) => `${j.row.principal} ${j.row.request.action} on ${j.row.request.resource} (${j.row.what}): ${j.verdict.decision}, intended ${j.row.intended}; ${j.verdict.reason}`)
          .join('; ') + (wrong.length > 6 ? `; and ${wrong.length - 6} more` : ''),
      );
    },
  },
];
