import type { PrincipalPolicies } from '../../resources/iam-policies.js';
import { foreignMembers } from '../../resources/operators.js';
import { servicePrincipal } from '../../names.js';
import type { PolicyDocument, PolicyStatement } from '../../policy.js';
import { compareGrants, describeGrants, escalationGrants, grantsOf, isAdminStatement, type Grant } from '../permissions.js';
import { principalPolicies } from '../../resources/index.js';
import type { AuditSnapshot, Control } from '../types.js';
import { awsPrincipals, fail, intended, list, live, missing, pass } from './verdicts.js';

const MAX_KEY_AGE_DAYS = 90;

/** Every document a principal holds, named for people: inline ones, and the attached managed policies' documents. */
export function namedDocumentsOf(policies: PrincipalPolicies, s: AuditSnapshot): { name: string; document: PolicyDocument }[] {
  const inline = Object.entries(policies.inline).map(([name, document]) => ({ name: `inline policy ${name}`, document }));
  const managed = policies.attached.flatMap((arn) => {
    const document = s.managedPolicies.get(arn);
    return document ? [{ name: `managed policy ${arn.split('/').pop()}`, document }] : [];
  });
  return [...inline, ...managed];
}

export function documentsOf(policies: PrincipalPolicies, s: AuditSnapshot): PolicyDocument[] {
  return namedDocumentsOf(policies, s).map((d) => d.document);
}

function effectiveGrants(policies: PrincipalPolicies, s: AuditSnapshot): Grant[] {
  return namedDocumentsOf(policies, s).flatMap(({ name, document }) => grantsOf(document, s.actions, name));
}

/**
 * What is wrong with a service role's trust: another principal trusted, no aws:SourceAccount of
 * this account, and (where given) no aws:SourceArn naming exactly what may act (the confused deputy).
 */
export function trustProblems(trust: PolicyDocument | null, service: string, account: string, sourceArn?: string): string[] {
  const condition = (st: PolicyStatement, key: string) => list(st.Condition?.StringEquals?.[key] ?? st.Condition?.StringEquals?.[key.toLowerCase()] ?? st.Condition?.ArnEquals?.[key] ?? st.Condition?.ArnEquals?.[key.toLowerCase()]);
  const problems = (trust?.Statement ?? [])
    .filter((st) => st.Effect === 'Allow')
    .flatMap((st) => {
      const services = list((st.Principal as { Service?: unknown } | undefined)?.Service);
      const others = [...awsPrincipals(st), ...services.filter((svc) => svc !== service)];
      const accounts = condition(st, 'aws:SourceAccount');
      const sources = condition(st, 'aws:SourceArn');
      return [
        ...(others.length > 0 ? [`trusts ${others.join(', ')}`] : []),
        ...(accounts.length === 1 && accounts[0] === account ? [] : ['no aws:SourceAccount condition for this account']),
        ...(sourceArn === undefined || (sources.length === 1 && sources[0] === sourceArn) ? [] : [`no aws:SourceArn condition naming ${sourceArn}`]),
      ];
    });
  return [...new Set(problems)];
}

/** Exactly the intended permissions: extra grants (with what they allow) and missing ones. */
export function leastPrivilege(resource: string, policies: PrincipalPolicies, want: { policyName: string; policy: PolicyDocument }, s: AuditSnapshot) {
  const difference = compareGrants(effectiveGrants(policies, s), grantsOf(want.policy, s.actions));
  const managed = policies.attached.map((arn) => `managed policy ${arn.split('/').pop()} attached`);
  const lines = [...managed, ...describeGrants('allows', difference.extra), ...describeGrants('lacks', difference.missing)];
  if (lines.length === 0) return pass(resource, 'exactly the intended permissions');
  // Managed policies by their documents too: what they allow is what counts.
  const documents = (p: PrincipalPolicies) => Object.fromEntries(namedDocumentsOf(p, s).map((d) => [d.name, d.document]));
  return fail(resource, lines.join('; '), { what: 'policies, inline and managed', live: documents(policies), intended: { [`inline policy ${want.policyName}`]: want.policy } });
}

export const iamControls: Control[] = [
  {
    id: 'iam-role-trust',
    title: 'The execution role trusts only the Lambda service, with the account condition',
    severity: 'high',
    service: 'iam',
    frameworks: [{ framework: 'Prowler', id: 'iam_role_cross_service_confused_deputy_prevention' }],
    remediation: 'Put back the trust policy of templates/execution-role-trust.json (bridge audit --fix).',
    source: 'templates/execution-role-trust.json',
    reads: ['execution-role'],
    fixes: ['execution-role'],
    check(s) {
      const role = live(s, 'execution-role');
      if (!role) return missing(s.names.roleArn, 'the execution role');
      const problems = trustProblems(role.trust, servicePrincipal('lambda', s.names.region), s.names.account);
      return problems.length === 0
        ? pass(role.arn, 'Lambda in this account only')
        : fail(role.arn, problems.join('; '), { what: 'trust policy', live: role.trust, intended: intended(s, 'execution-role').trust });
    },
  },
  {
    id: 'iam-role-least-privilege',
    title: "The execution role's effective permissions are exactly the intended ones",
    severity: 'high',
    service: 'iam',
    // No equivalent elsewhere: tools match patterns; this compares effective permissions with the intended ones.
    frameworks: [],
    remediation: 'Remove managed and extra inline policies, and put back the inline policy of templates/execution-role-policy.json (bridge audit --fix).',
    source: 'templates/execution-role-policy.json',
    // 'schedule': with one, the role may send to its dead-letter queue; not knowing is no verdict.
    reads: ['execution-role', 'managed-policies', 'kms-key', 'schedule'],
    fixes: ['execution-role'],
    check(s) {
      const role = live(s, 'execution-role');
      if (!role) return missing(s.names.roleArn, 'the execution role');
      return leastPrivilege(role.arn, role.policies, intended(s, 'execution-role'), s);
    },
  },
  {
    id: 'iam-operators-least-privilege',
    title: "The operators group's permissions are exactly the intended read-only set",
    severity: 'high',
    service: 'iam',
    frameworks: [],
    remediation: 'Remove other policies from the group and put back templates/operators-policy.json (bridge audit --fix).',
    source: 'templates/operators-policy.json',
    reads: ['operators', 'managed-policies', 'kms-key', 'api'],
    fixes: ['operators-policy'],
    check(s) {
      const group = live(s, 'operators')?.group;
      if (!group) return missing(s.names.operatorGroupArn, 'the operators group');
      return leastPrivilege(group.arn, group.policies, intended(s, 'operators-policy'), s);
    },
  },
  {
    id: 'iam-operators-members',
    title: 'The operators group holds only the stack operator user',
    severity: 'medium',
    service: 'iam',
    frameworks: [],
    remediation:
      'Take out the users bridge did not put there (aws iam remove-user-from-group), or give them access of their own; teardown takes them out with the group only with --yes.',
    remediationFor: (s) => {
      const others = foreignMembers(live(s, 'operators'), s.names.operatorUser);
      const commands = others.slice(0, 3).map((user) => `aws iam remove-user-from-group --group-name ${s.names.operatorGroup} --user-name ${user}`);
      return `Take out the users bridge did not put there (${commands.length > 0 ? commands.join('; ') : 'aws iam remove-user-from-group'}), or give them access of their own; teardown takes them out with the group only with --yes.`;
    },
    source: 'src/resources/operators.ts',
    reads: ['operators'],
    // Someone put them there on purpose or by mistake: setup does not take people out of a group.
    fixes: [],
    check(s) {
      const operators = live(s, 'operators');
      if (!operators?.group) return missing(s.names.operatorGroupArn, 'the operators group');
      const others = foreignMembers(operators, s.names.operatorUser);
      return others.length === 0
        ? pass(operators.group.arn, `only ${s.names.operatorUser}`)
        : fail(operators.group.arn, `${others.length} other member${others.length === 1 ? '' : 's'} read the stack's data and decrypt with its key through the group: ${others.join(', ')}`);
    },
  },
  {
    id: 'iam-user-no-direct-policies',
    title: 'The operator user has no inline or attached policies of its own',
    severity: 'low',
    service: 'iam',
    frameworks: [{ framework: 'Security Hub', id: 'IAM.2' }, { framework: 'Prowler', id: 'iam_policy_attached_only_to_group_or_roles' }],
    remediation: "Remove the user's own policies; access comes from the group (bridge audit --fix).",
    source: 'src/resources/operators.ts',
    reads: ['operators'],
    fixes: ['operators'],
    check(s) {
      const user = live(s, 'operators')?.user;
      if (!user) return missing(s.names.operatorUserArn, 'the operator user');
      const own = [...Object.keys(user.policies.inline).map((n) => `inline ${n}`), ...user.policies.attached.map((a) => `managed ${a.split('/').pop()}`)];
      return own.length === 0 ? pass(user.arn, 'no policies of its own') : fail(user.arn, `holds ${own.join(', ')}`);
    },
  },
  {
    id: 'iam-user-key-age',
    title: `The operator's active access keys are younger than ${MAX_KEY_AGE_DAYS} days`,
    severity: 'medium',
    service: 'iam',
    frameworks: [{ framework: 'Security Hub', id: 'IAM.3' }, { framework: 'Prowler', id: 'iam_rotate_access_key_90_days' }],
    remediation: 'Rotate: run setup with --operator-access-key-file to make a new key, switch to it, then delete the old one (aws iam delete-access-key).',
    source: 'src/resources/operators.ts',
    reads: ['operators'],
    fixes: [],
    check(s) {
      const user = live(s, 'operators')?.user;
      if (!user) return missing(s.names.operatorUserArn, 'the operator user');
      const active = user.accessKeys.filter((k) => k.status === 'Active');
      const old = active.filter((k) => k.created && (s.now.getTime() - new Date(k.created).getTime()) / 86_400_000 >= MAX_KEY_AGE_DAYS);
      if (old.length > 0) {
        return fail(user.arn, old.map((k) => `${k.id} is ${Math.floor((s.now.getTime() - new Date(k.created as Date).getTime()) / 86_400_000)} days old`).join('; '));
      }
      return pass(user.arn, active.length === 0 ? 'no active access keys' : `${active.length} active key(s), all younger than ${MAX_KEY_AGE_DAYS} days`);
    },
  },
  {
    id: 'iam-no-admin',
    title: 'No principal of the stack can do * on *',
    severity: 'critical',
    service: 'iam',
    frameworks: [{ framework: 'Security Hub', id: 'IAM.1' }, { framework: 'Prowler', id: 'iam_aws_attached_policy_no_administrative_privileges' }, { framework: 'Prowler', id: 'iam_inline_policy_no_administrative_privileges' }],
    remediation: 'Remove the administrative policy from the principal (bridge audit --fix removes what setup did not put there).',
    source: 'templates/execution-role-policy.json',
    reads: ['execution-role', 'operators', 'scheduler-role', 'managed-policies'],
    fixes: ['execution-role', 'operators', 'operators-policy', 'scheduler-role'],
    check(s) {
      const admins = principalPolicies(s.lives).filter((p) => documentsOf(p.policies, s).some((d) => d.Statement.some(isAdminStatement)));
      return admins.length === 0 ? pass(`stack ${s.stack}`, 'no principal has * on *') : fail(admins.map((p) => p.arn).join(', '), `${admins.map((p) => p.principal).join(', ')} can do * on *`);
    },
  },
  {
    id: 'iam-no-privilege-escalation',
    title: 'No principal of the stack holds actions that grant more access',
    severity: 'critical',
    service: 'iam',
    frameworks: [{ framework: 'Prowler', id: 'iam_policy_allows_privilege_escalation' }, { framework: 'Prowler', id: 'iam_inline_policy_allows_privilege_escalation' }],
    remediation: 'Remove the policy that grants it (bridge audit --fix removes what setup did not put there).',
    source: 'templates/execution-role-policy.json',
    reads: ['execution-role', 'operators', 'scheduler-role', 'managed-policies'],
    fixes: ['execution-role', 'operators', 'operators-policy', 'scheduler-role'],
    check(s) {
      // Over effective (expanded) permissions: "iam:*" or "*" counts, whatever the text says.
      const found = principalPolicies(s.lives).flatMap((p) => {
        const grants = escalationGrants(effectiveGrants(p.policies, s));
        return grants.length > 0 ? [{ arn: p.arn, text: `${p.principal}: ${describeGrants('allows', grants, 4).join('; ')}` }] : [];
      });
      return found.length === 0 ? pass(`stack ${s.stack}`, 'no escalation actions') : fail(found.map((f) => f.arn).join(', '), found.map((f) => f.text).join(' | '));
    },
  },
];
