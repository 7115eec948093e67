/**
 * The function's execution role: trusted by Lambda in this account only, one inline policy with
 * exactly the access ingestion needs (with a schedule, also sending failed runs to the stack's
 * dead-letter queue), no managed policies.
 */
import { partitionValues, viaService } from '../names.js';
import { renderTemplate } from '../templates.js';
import { intendedSchedule } from './schedule-state.js';
import { serviceRole } from './service-role.js';
import { KNOWN_AFTER_APPLY } from './types.js';

export { diffRole, type RoleIntended, type RoleLive } from './service-role.js';

export const executionRole = serviceRole({
  kind: 'execution-role',
  title: 'IAM execution role',
  dependsOn: ['kms-key'],
  purpose: 'runs the ingest function',
  roleName: (ctx) => ctx.names.roleName,
  roleArn: (ctx) => ctx.names.roleArn,
  policyName: (ctx) => ctx.names.rolePolicyName,
  documents(ctx) {
    const n = ctx.names;
    const scheduled = intendedSchedule(ctx) !== null;
    return {
      trust: renderTemplate('execution-role-trust', partitionValues(n)),
      policy: renderTemplate('execution-role-policy', {
        ...partitionValues(n),
        BucketArn: n.bucketArn,
        DataPrefix: ctx.config.dataPrefix,
        KeyArn: ctx.refs.keyArn ?? KNOWN_AFTER_APPLY,
        ParameterArn: n.parameterArn,
        FunctionLogGroupArn: n.functionLogGroupArn,
        // Without a schedule the dead-letter statements are left out: a null drops every statement naming it.
        DeadLetterQueueArn: scheduled ? n.deadLetterQueueArn : null,
        SqsViaService: scheduled ? viaService('sqs', n.region) : null,
      }),
    };
  },
});
