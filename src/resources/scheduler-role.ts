/**
 * The role EventBridge Scheduler assumes for the stack's schedule: trusted by Scheduler for this
 * account and this stack's schedule group only, allowed to invoke this function and to deliver
 * what it could not to the dead-letter queue (through SQS with the stack key), nothing else.
 */
import { partitionValues } from '../names.js';
import { renderTemplate } from '../templates.js';
import { intendedSchedule } from './schedule-state.js';
import { serviceRole } from './service-role.js';
import { KNOWN_AFTER_APPLY } from './types.js';

export const schedulerRole = serviceRole({
  kind: 'scheduler-role',
  title: 'IAM scheduler role',
  dependsOn: ['kms-key'],
  purpose: "lets EventBridge Scheduler run the ingest function on the stack's schedule",
  roleName: (ctx) => ctx.names.schedulerRoleName,
  roleArn: (ctx) => ctx.names.schedulerRoleArn,
  policyName: (ctx) => ctx.names.schedulerPolicyName,
  wanted: (ctx) => intendedSchedule(ctx) !== null,
  documents(ctx) {
    const n = ctx.names;
    const values = { ...partitionValues(n), ScheduleGroupArn: n.scheduleGroupArn, FunctionArn: n.functionArn, DeadLetterQueueArn: n.deadLetterQueueArn, KeyArn: ctx.refs.keyArn ?? KNOWN_AFTER_APPLY };
    return { trust: renderTemplate('scheduler-role-trust', values), policy: renderTemplate('scheduler-role-policy', values) };
  },
});
