/**
 * The ingestion schedule: it runs as intended, its role may do only its job and is trusted only by
 * Scheduler for this stack's group, and failed runs land in an encrypted queue someone looks at.
 * A stack without a schedule skips them all.
 */
import { encryptedWithStackKey } from '../../resources/schedule-dlq.js';
import { servicePrincipal } from '../../names.js';
import type { AuditSnapshot, Control, Verdict } from '../types.js';
import { leastPrivilege, trustProblems } from './iam.js';
import { fail, intended, live, missing, pass, skip } from './verdicts.js';

const ADD_ONE = "the stack has no schedule (bridge setup --schedule 'rate(15 minutes)' adds one)";

/**
 * The check, where the stack has a schedule; SKIP where it has none. Each reads 'schedule' too:
 * whether there is one is learned from it, so a failed read is ERROR, not "no schedule".
 */
function whenScheduled(check: (s: AuditSnapshot) => Verdict): (s: AuditSnapshot) => Verdict {
  return (s) => (intended(s, 'schedule').settings ? check(s) : skip(`stack ${s.stack}`, ADD_ONE));
}

/** "3 h 5 min", "42 s": how old the oldest failed run is. */
export function age(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ${minutes % 60} min` : `${Math.floor(hours / 24)} days`;
}

export const scheduleControls: Control[] = [
  {
    id: 'schedule-state',
    title: 'The schedule runs the function as intended, and failed runs reach the dead-letter queue',
    severity: 'medium',
    service: 'schedule',
    frameworks: [{ framework: 'AWS documentation', id: 'EventBridge Scheduler dead-letter queues' }],
    remediation: 'Put the schedule back as setup makes it: enabled, the stack expression, time window off, this function with the scheduler role, the retry policy and dead-letter queue, and the function\'s failure destination (bridge audit --fix).',
    source: 'src/resources/schedule.ts',
    reads: ['schedule', 'function-async'],
    fixes: ['schedule', 'function-async'],
    check: whenScheduled((s) => {
      const found = live(s, 'schedule');
      const want = intended(s, 'schedule').settings;
      if (!found || !want) return missing(s.names.scheduleGroupArn, 'the schedule group');
      const have = found.schedule;
      if (!have) return fail(s.names.scheduleArn, `the schedule ${s.names.scheduleName} is gone from its group ${s.names.scheduleGroup}: nothing runs the function`);
      const problems: string[] = [];
      if (have.state !== 'ENABLED') problems.push(`the schedule is ${have.state}: no run happens`);
      if (have.expression !== want.expression) problems.push(`runs on ${have.expression}, intended ${want.expression}`);
      if (have.flexibleWindow !== 'OFF') problems.push(`flexible time window ${have.flexibleWindow}: runs drift from their times`);
      if (have.targetArn !== want.targetArn) problems.push(`invokes ${have.targetArn || 'nothing'}, not ${want.targetArn}`);
      if (have.roleArn !== want.roleArn) problems.push(`runs as ${have.roleArn || 'no role'}, not ${want.roleArn}`);
      if (have.deadLetterArn !== want.deadLetterArn) problems.push(`undelivered runs go to ${have.deadLetterArn ?? 'no dead-letter queue'}: they are lost`);
      if (have.maximumRetryAttempts !== want.maximumRetryAttempts || have.maximumEventAgeSeconds !== want.maximumEventAgeSeconds) {
        problems.push(`retry policy ${have.maximumRetryAttempts ?? '-'} attempts within ${have.maximumEventAgeSeconds ?? '-'} s, intended ${want.maximumRetryAttempts} within ${want.maximumEventAgeSeconds} s`);
      }
      const destination = live(s, 'function-async');
      if (destination?.onFailure !== s.names.deadLetterQueueArn) problems.push(`the function's failed runs go to ${destination?.onFailure ?? 'nowhere'}, not the dead-letter queue: their errors are lost`);
      return problems.length === 0
        ? pass(s.names.scheduleArn, `${have.expression}, enabled; failures to ${s.names.deadLetterQueue}`)
        : fail(s.names.scheduleArn, problems.join('; '), { what: 'schedule', live: { ...have, functionFailureDestination: destination?.onFailure ?? null }, intended: { ...want, functionFailureDestination: s.names.deadLetterQueueArn } });
    }),
  },
  {
    id: 'schedule-role-least-privilege',
    title: "The scheduler role's effective permissions are exactly the intended ones",
    severity: 'high',
    service: 'schedule',
    frameworks: [],
    remediation: 'Remove managed and extra inline policies, and put back the inline policy of templates/scheduler-role-policy.json (bridge audit --fix).',
    source: 'templates/scheduler-role-policy.json',
    reads: ['schedule', 'scheduler-role', 'managed-policies', 'kms-key'],
    fixes: ['scheduler-role'],
    check: whenScheduled((s) => {
      const role = live(s, 'scheduler-role');
      if (!role) return missing(s.names.schedulerRoleArn, 'the scheduler role');
      return leastPrivilege(role.arn, role.policies, intended(s, 'scheduler-role'), s);
    }),
  },
  {
    id: 'schedule-role-trust',
    title: "The scheduler role trusts only EventBridge Scheduler, for this account and the stack's schedule group",
    severity: 'high',
    service: 'schedule',
    frameworks: [{ framework: 'Prowler', id: 'iam_role_cross_service_confused_deputy_prevention' }],
    remediation: 'Put back the trust policy of templates/scheduler-role-trust.json (bridge audit --fix).',
    source: 'templates/scheduler-role-trust.json',
    reads: ['schedule', 'scheduler-role'],
    fixes: ['scheduler-role'],
    check: whenScheduled((s) => {
      const role = live(s, 'scheduler-role');
      if (!role) return missing(s.names.schedulerRoleArn, 'the scheduler role');
      const problems = trustProblems(role.trust, servicePrincipal('scheduler', s.names.region), s.names.account, s.names.scheduleGroupArn);
      return problems.length === 0
        ? pass(role.arn, `Scheduler in this account, for group ${s.names.scheduleGroup} only`)
        : fail(role.arn, problems.join('; '), { what: 'trust policy', live: role.trust, intended: intended(s, 'scheduler-role').trust });
    }),
  },
  {
    id: 'schedule-dlq-encrypted',
    title: 'The dead-letter queue is encrypted with the stack key and keeps failed runs 14 days',
    severity: 'medium',
    service: 'schedule',
    frameworks: [
      { framework: 'Security Hub', id: 'SQS.1' },
      { framework: 'Prowler', id: 'sqs_queues_server_side_encryption_enabled' },
    ],
    remediation: 'Encrypt the queue with the stack key and set its retention to 14 days (bridge audit --fix).',
    source: 'src/resources/schedule-dlq.ts',
    reads: ['schedule', 'schedule-dlq', 'kms-key'],
    fixes: ['schedule-dlq'],
    check: whenScheduled((s) => {
      const queue = live(s, 'schedule-dlq');
      if (!queue) return missing(s.names.deadLetterQueueArn, 'the dead-letter queue');
      const want = intended(s, 'schedule-dlq');
      const problems: string[] = [];
      if (!encryptedWithStackKey(queue, s)) problems.push(`encrypted with ${queue.kmsKeyId ?? (queue.sqsManagedSse ? 'SSE-SQS (a key SQS owns)' : 'nothing')}, not the stack key`);
      if (queue.retentionSeconds !== want.retentionSeconds) problems.push(`keeps messages ${age(queue.retentionSeconds)}, intended ${age(want.retentionSeconds)}`);
      if (queue.hasPolicy) problems.push('has a queue policy: access beyond this account\'s IAM policies');
      return problems.length === 0
        ? pass(queue.arn, 'SSE-KMS with the stack key, 14 days')
        : fail(queue.arn, problems.join('; '), { what: 'queue settings', live: { kmsKeyId: queue.kmsKeyId, sqsManagedSse: queue.sqsManagedSse, retentionSeconds: queue.retentionSeconds, policy: queue.hasPolicy }, intended: { kmsKeyId: s.keyArn, retentionSeconds: want.retentionSeconds, policy: false } });
    }),
  },
  {
    id: 'schedule-dlq-empty',
    title: 'No failed scheduled runs are waiting in the dead-letter queue',
    severity: 'medium',
    service: 'schedule',
    frameworks: [{ framework: 'AWS documentation', id: 'SQS metric ApproximateAgeOfOldestMessage', relation: 'related' }],
    remediation: 'Read the failed runs (aws sqs receive-message) and the function\'s errors (bridge logs), fix the cause, then delete the messages.',
    remediationFor: (s) =>
      `Read the failed runs (aws sqs receive-message --queue-url ${live(s, 'schedule-dlq')?.url ?? s.names.deadLetterQueue} --max-number-of-messages 10) and the function's errors (bridge logs --stack ${s.stack} --since 1d), fix the cause, then delete the messages.`,
    source: 'src/resources/schedule-dlq.ts',
    reads: ['schedule', 'schedule-dlq'],
    // Failed runs are data to look at: nothing setup does would make them go away.
    fixes: [],
    check(s) {
      const queue = live(s, 'schedule-dlq');
      // A queue kept after --schedule none still holds failed runs: they are judged too. A missing
      // queue is schedule-dlq-encrypted's finding: here there is nothing waiting to count.
      if (!queue) return skip(`stack ${s.stack}`, intended(s, 'schedule').settings ? 'the dead-letter queue does not exist (schedule-dlq-encrypted reports it)' : ADD_ONE);
      if (queue.messages === 0) return pass(queue.arn, 'empty: no scheduled run has failed for good');
      const oldest = s.deadLetterAgeSeconds === null ? 'the oldest one\'s age is unknown (CloudWatch has no recent datapoint)' : `the oldest waits for ${age(s.deadLetterAgeSeconds)}`;
      return fail(queue.arn, `${queue.messages} failed run${queue.messages === 1 ? '' : 's'} waiting; ${oldest}`);
    },
  },
];
