/**
 * The stack key's policy, a resource of its own: it names the execution role, the operator user
 * and the API's execution log group, which must exist before KMS accepts them, so it is put after
 * them (the key itself is made first, with the administration statement only).
 */
import { PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { apiArns } from '../names.js';
import { describeStatementDifference, diffStatements, type PolicyDocument } from '../policy.js';
import { PROPAGATION, untilPropagated } from '../retry.js';
import { renderTemplate } from '../templates.js';
import { kmsKey, policyValuesFromNames } from './kms-key.js';
import { KNOWN_AFTER_APPLY, liveFrom, type Resource, type StackContext } from './types.js';

export function policyValues(ctx: StackContext) {
  return {
    ...policyValuesFromNames(ctx),
    ApiExecutionLogGroupArn: ctx.refs.apiId ? apiArns(ctx.names, ctx.refs.apiId).executionLogGroupArn : KNOWN_AFTER_APPLY,
  };
}

export const kmsKeyPolicy: Resource<PolicyDocument, PolicyDocument> = {
  kind: 'kms-key-policy',
  title: 'KMS key policy',
  // The REST API's id names its execution log group, which CloudWatch Logs encrypts with the key.
  dependsOn: ['kms-key', 'execution-role', 'operators', 'rest-api'],
  ownership: { of: 'part', partOf: 'kms-key' },
  name: (ctx) => ctx.names.keyAlias,
  read: async (_ctx, lives) => liveFrom(lives, kmsKey)?.policy ?? null,
  intended: (ctx) => renderTemplate('kms-key-policy', policyValues(ctx)),
  diff(live, intended) {
    const difference = diffStatements(live, intended);
    if (difference.extra.length === 0 && difference.missing.length === 0) return [];
    return [{ field: 'policy', details: describeStatementDifference(difference) }];
  },
  async apply(ctx, _live, intended) {
    await untilPropagated(ctx, PROPAGATION.principalsVisibleToKms, () =>
      ctx.aws.kms.send(new PutKeyPolicyCommand({ KeyId: ctx.refs.keyId as string, PolicyName: 'default', Policy: JSON.stringify(intended) })),
    );
  },
  describe: () => null,
};
