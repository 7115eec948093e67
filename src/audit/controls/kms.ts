import type { KeyLive } from '../../resources/kms-key.js';
import type { PolicyDocument } from '../../policy.js';
import { describeStatementDifference, diffStatements } from '../../policy.js';
import type { AuditSnapshot, Control, Verdict } from '../types.js';
import { fail, grantsOutside, intended, pass, whenPresent } from './verdicts.js';

const KEY_SOURCE = 'src/resources/kms-key.ts';

const onKey = (judge: (key: KeyLive, s: AuditSnapshot) => Verdict) => whenPresent('kms-key', (s) => s.names.keyAlias, 'the stack key', judge);

export const kmsControls: Control[] = [
  {
    id: 'kms-key-enabled',
    title: 'The stack key exists, is enabled and is not pending deletion',
    severity: 'high',
    service: 'kms',
    frameworks: ['Security Hub KMS.3', 'Prowler kms_cmk_are_used'],
    remediation: 'Cancel any scheduled deletion and enable the key (bridge audit --fix, or aws kms cancel-key-deletion / enable-key).',
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
    frameworks: ['Security Hub KMS.4', 'Prowler kms_cmk_rotation_enabled'],
    remediation: 'Turn on automatic rotation (bridge audit --fix, or aws kms enable-key-rotation).',
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
    frameworks: ['Prowler kms_key_not_publicly_accessible'],
    remediation: 'Put back the intended key policy (bridge audit --fix); see templates/kms-key-policy.json.',
    source: 'templates/kms-key-policy.json',
    reads: ['kms-key'],
    fixes: ['kms-key-policy'],
    check: onKey((key, s) => {
      const outside = (key.policy?.Statement ?? []).map((st) => grantsOutside(st, s.names.account)).filter(Boolean);
      if (outside.length > 0) return fail(key.arn, `the key policy ${outside.join('; ')}`);
      const difference = diffStatements(key.policy, intended<PolicyDocument>(s, 'kms-key-policy'));
      const lines = describeStatementDifference(difference);
      return lines.length === 0 ? pass(key.arn, 'the intended policy') : fail(key.arn, `differs from the intended policy: ${lines.join('; ')}`);
    }),
  },
];
