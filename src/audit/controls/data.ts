/** Logs and the source key: the stack's other stores. */

import type { LogGroupLive } from '../../resources/log-group.js';
import { apiArns, isStackKey } from '../../names.js';
import type { Control } from '../types.js';
import { fail, intended, live, missing, pass } from './verdicts.js';

export const dataControls: Control[] = [
  {
    id: 'logs-retention-encryption',
    title: "The stack's log groups have retention and are encrypted with the stack key",
    severity: 'medium',
    service: 'logs',
    frameworks: [{ framework: 'Security Hub', id: 'CloudWatch.16' }, { framework: 'Prowler', id: 'cloudwatch_log_group_retention_policy_specific_days_enabled' }, { framework: 'Prowler', id: 'cloudwatch_log_group_kms_encryption_enabled' }],
    remediation: 'Set retention and associate the stack key (bridge audit --fix).',
    source: 'src/resources/log-group.ts',
    reads: ['function-log-group', 'api-log-group', 'api-execution-log-group', 'kms-key'],
    fixes: ['function-log-group', 'api-log-group', 'api-execution-log-group'],
    check(s) {
      const api = live(s, 'rest-api');
      const execution = api ? apiArns(s.names, api.id) : null;
      const groups: [string, string, LogGroupLive | null][] = [
        [s.names.functionLogGroup, s.names.functionLogGroupArn, live(s, 'function-log-group')],
        [s.names.apiLogGroup, s.names.apiLogGroupArn, live(s, 'api-log-group')],
        // API Gateway's execution logs, once there is an API to write them.
        ...(execution ? ([[execution.executionLogGroup, execution.executionLogGroupArn, live(s, 'api-execution-log-group')]] as [string, string, LogGroupLive | null][]) : []),
      ];
      const problems = groups.flatMap(([name, arn, group]) => {
        if (!group) return [{ arn, text: `${name} does not exist` }];
        return [
          ...(group.retentionDays === null ? [{ arn, text: `${name} keeps logs forever` }] : []),
          ...(!isStackKey(group.kmsKeyId, s.names, { arn: s.keyArn }) ? [{ arn, text: `${name} is ${group.kmsKeyId ? `encrypted with ${group.kmsKeyId}` : 'not encrypted with the stack key'}` }] : []),
        ];
      });
      const faulty = [...new Set(problems.map((p) => p.arn))];
      return problems.length === 0 ? pass(s.names.functionLogGroupArn, `${groups.length} groups: retention set, stack key`) : fail(faulty.join(', '), problems.map((p) => p.text).join('; '));
    },
  },
  {
    id: 'ssm-secret-encrypted',
    title: 'The source key is a SecureString encrypted with the stack key',
    severity: 'high',
    service: 'ssm',
    frameworks: [],
    remediation: 'Store it again as a SecureString under the stack key (bridge audit --fix re-encrypts it in place).',
    source: 'src/resources/source-api-key.ts',
    reads: ['source-api-key', 'kms-key'],
    fixes: ['source-api-key'],
    check(s) {
      const key = live(s, 'source-api-key');
      if (!key) return missing(s.names.parameterArn, 'the source key parameter');
      if (key.type !== 'SecureString') return fail(s.names.parameterArn, `stored as ${key.type}: readable in plain text by anyone who may read the parameter`);
      const want = intended(s, 'source-api-key');
      return key.keyId && [want.keyArn, ...want.keyNames].includes(key.keyId)
        ? pass(s.names.parameterArn, 'SecureString under the stack key')
        : fail(s.names.parameterArn, `encrypted with ${key.keyId ?? 'the AWS managed key'}, not the stack key`);
    },
  },
];
