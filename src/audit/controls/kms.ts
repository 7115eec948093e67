import type { KeyGrant, KeyLive } from '../../resources/kms-key.js';
import { describeStatementDifference, diffStatements } from '../../policy.js';
import type { AuditSnapshot, Control, Verdict } from '../types.js';
import { fail, grantsOutside, intended, live, pass, whenPresent } from './verdicts.js';

const KEY_SOURCE = 'src/resources/kms-key.ts';

const onKey = (judge: (key: KeyLive, s: AuditSnapshot) => Verdict) => whenPresent('kms-key', (s) => s.names.keyAliasArn, 'the stack key', judge);

export const kmsControls: Control[] = [
  {
    id: 'kms-key-enabled',
    title: 'The stack key exists, is enabled and is not pending deletion',
    severity: 'high',
    service: 'kms',
    frameworks: [{ framework: 'Security Hub', id: 'KMS.3' }, { framework: 'Prowler', id: 'kms_cmk_are_used' }],
    remediation: 'Cancel any scheduled deletion and enable the key (bridge audit --fix, or aws kms cancel-key-deletion / enable-key).',
    // KMS takes these by key id or ARN, never by alias: without the id, the general words.
    remediationFor: (s) => {
      const key = live(s, 'kms-key');
      if (!s.keyId || !key) return 'Cancel any scheduled deletion and enable the key (bridge audit --fix, or aws kms cancel-key-deletion / enable-key).';
      const steps = [...(key.state === 'PendingDeletion' ? [`aws kms cancel-key-deletion --key-id ${s.keyId}`] : []), `aws kms enable-key --key-id ${s.keyId}`];
      return `${key.state === 'PendingDeletion' ? 'Cancel the scheduled deletion and enable' : 'Enable'} the key (bridge audit --fix, or ${steps.join('; then ')}).`;
    },
    source: KEY_SOURCE,
    reads: ['kms-key'],
    fixes: ['kms-key'],
    check: onKey((key) => {
      return key.state === 'Enabled' ? pass(key.arn, 'enabled') : fail(key.arn, `the key is ${key.state}: everything encrypted with it is unreadable until it is enabled`);
    }),
  },
  {
    id: 'kms-rotation',
    title: 'Automatic key rotation is on',
    severity: 'medium',
    service: 'kms',
    frameworks: [{ framework: 'Security Hub', id: 'KMS.4' }, { framework: 'Prowler', id: 'kms_cmk_rotation_enabled' }],
    remediation: 'Turn on automatic rotation (bridge audit --fix, or aws kms enable-key-rotation).',
    remediationFor: (s) => `Turn on automatic rotation (bridge audit --fix, or aws kms enable-key-rotation${s.keyId ? ` --key-id ${s.keyId}` : ''}).`,
    source: KEY_SOURCE,
    reads: ['kms-key'],
    fixes: ['kms-key'],
    check: onKey((key) => {
      return key.rotation ? pass(key.arn, 'rotation on') : fail(key.arn, 'automatic rotation is off');
    }),
  },
  {
    id: 'kms-policy',
    title: 'The key policy grants nothing to everyone or other accounts, and is the intended one',
    severity: 'high',
    service: 'kms',
    frameworks: [{ framework: 'Prowler', id: 'kms_key_not_publicly_accessible' }],
    remediation: 'Put back the intended key policy (bridge audit --fix); see templates/kms-key-policy.json.',
    source: 'templates/kms-key-policy.json',
    reads: ['kms-key'],
    fixes: ['kms-key-policy'],
    check: onKey((key, s) => {
      const evidence = { what: 'key policy', live: key.policy, intended: intended(s, 'kms-key-policy') };
      const outside = (key.policy?.Statement ?? []).map((st) => grantsOutside(st, s.names.account)).filter(Boolean);
      if (outside.length > 0) return fail(key.arn, `the key policy ${outside.join('; ')}`, evidence);
      const lines = describeStatementDifference(diffStatements(key.policy, evidence.intended));
      return lines.length === 0 ? pass(key.arn, 'the intended policy') : fail(key.arn, `differs from the intended policy: ${lines.join('; ')}`, evidence);
    }),
  },
  {
    id: 'kms-no-grants',
    title: 'No grant lets anyone use the stack key beside its key policy',
    severity: 'high',
    service: 'kms',
    frameworks: [],
    remediation:
      'Revoke grants you did not mean (aws kms revoke-grant): the services the stack uses (S3, SSM, CloudWatch Logs) need none, and a grant is access the key policy does not show.',
    remediationFor: (s) =>
      `Revoke grants you did not mean (${s.grants.length > 0 && s.keyId ? s.grants.slice(0, 3).map((g) => `aws kms revoke-grant --key-id ${s.keyId} --grant-id ${g.id}`).join('; ') : 'aws kms revoke-grant'}): the services the stack uses (S3, SSM, CloudWatch Logs) need none, and a grant is access the key policy does not show.`,
    source: KEY_SOURCE,
    reads: ['kms-key', 'kms-grants'],
    // A grant may be someone's deliberate access: revoking it is for a person to decide.
    fixes: [],
    check: onKey((key, s) => {
      if (s.grants.length === 0) return pass(key.arn, 'no grants');
      const shown = s.grants.slice(0, 3).map(describeGrant);
      const more = s.grants.length > 3 ? `, and ${s.grants.length - 3} more` : '';
      return fail(key.arn, `${s.grants.length} grant${s.grants.length === 1 ? '' : 's'} on the key: ${shown.join('; ')}${more}`);
    }),
  },
];

/** "grant 0c1d (name x) lets arn:... Decrypt, GenerateDataKey (only with context {...})" */
export function describeGrant(grant: KeyGrant): string {
  const name = grant.name ? ` (name ${grant.name})` : '';
  const limited = grant.constraints ? ` only with encryption context ${grant.constraints}` : ' with any encryption context';
  return `grant ${grant.id.slice(0, 8)}${name} lets ${grant.grantee} ${grant.operations.join(', ')}${limited}`;
}
