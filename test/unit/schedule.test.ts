/**
 * The schedule's pure half: the expressions Scheduler takes (its User Guide, "Schedule types"),
 * what differs from the intended schedule, queue and failure destination, when it runs next, and
 * the answers AWS gives while a new role or grant is not yet visible (retried, bounded).
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { validateSchedule, scheduleProblem } from '../../src/validate.js';
import { diffSchedule, expressionFromTag, expressionToTag, nextRun, ratePeriodMs, type ScheduleLive, type ScheduleSettings } from '../../src/resources/schedule-state.js';
import { diffDeadLetterQueue, type DeadLetterQueueLive } from '../../src/resources/schedule-dlq.js';
import { diffAsyncConfig } from '../../src/resources/function-async.js';
import { PROPAGATION, isDestinationNotYetAllowed, isQueueNameNotYetFree, isRoleNotYetUsableByScheduler, untilPropagated } from '../../src/retry.js';
import { fakeClock } from '../support/fake-clock.js';

describe('schedule expressions', () => {
  it.each(['rate(1 minute)', 'rate(15 minutes)', 'rate(2 hours)', 'rate(1 day)', 'cron(0 6 * * ? *)', 'cron(0/15 6-18 ? * MON-FRI *)', 'cron(0 12 L * ? 2027)', 'cron(30 2 ? * 6#3 *)'])('takes %s', (expression) => {
    expect(validateSchedule(expression)).toBe(expression);
  });

  it.each([
    ['rate(1 minutes)', /singular for 1/],
    ['rate(5 minute)', /plural above 1/],
    ['rate(0 minutes)', /at least 1/],
    ['rate(15 seconds)', /minute\(s\), hour\(s\) or day\(s\)/],
    ['cron(0 6 * * *)', /6 fields .* this one has 5/],
    ['cron(0 6 * * * *)', /exactly one of day-of-month and day-of-week must be '\?'/],
    ['cron(61 6 * * ? *)', /minutes field '61'/],
    ['cron(0 6 ? FOO MON *)', /month field 'FOO'/],
    ['at(2026-12-24T06:00:00)', /runs once/],
    ['every 15 minutes', /neither rate\(\.\.\.\) nor cron\(\.\.\.\)/],
  ])('refuses %s, naming the problem and the accepted forms', (expression, problem) => {
    expect(scheduleProblem(expression)).toMatch(problem);
    expect(() => validateSchedule(expression)).toThrow(UsageError);
    expect(() => validateSchedule(expression)).toThrow(/give rate\(N minutes\|hours\|days\) .* cron\(MIN HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK YEAR\) .* or none/);
  });

  it('takes none (any case) as "remove the schedule"', () => {
    expect(validateSchedule('none')).toBeNull();
    expect(validateSchedule(' NONE ')).toBeNull();
  });

  it("keeps the intended expression in a tag value (letters, digits, spaces and _ . : / = + - @ only), and reads it back", () => {
    for (const expression of ['rate(15 minutes)', 'cron(0/15 6-18 ? * MON-FRI *)', 'cron(0 12 1,15 * ? *)', 'cron(30 2 ? * 6#3 *)']) {
      const tag = expressionToTag(expression);
      expect(tag).toMatch(/^[\p{L}\p{N} _.:/=+\-@]*$/u);
      expect(expressionFromTag(tag)).toBe(expression);
    }
    expect(expressionFromTag('someone else')).toBeNull();
    expect(expressionFromTag(undefined)).toBeNull();
  });
});

describe('when the schedule runs next', () => {
  const now = new Date('2026-12-08T10:07:30Z');
  it('counts a rate from when the schedule was made or last changed', () => {
    expect(ratePeriodMs('rate(15 minutes)')).toBe(900_000);
    expect(nextRun('rate(15 minutes)', now, new Date('2026-12-08T09:00:00Z'))?.toISOString()).toBe('2026-12-08T10:15:00.000Z');
    expect(nextRun('rate(1 day)', now, new Date('2026-12-01T06:00:00Z'))?.toISOString()).toBe('2026-12-09T06:00:00.000Z');
    expect(nextRun('rate(15 minutes)', now, null)).toBeNull();
  });
  it('finds the next minute a cron expression matches, in UTC', () => {
    expect(nextRun('cron(0 6 * * ? *)', now, null)?.toISOString()).toBe('2026-12-09T06:00:00.000Z');
    expect(nextRun('cron(0/20 * * * ? *)', now, null)?.toISOString()).toBe('2026-12-08T10:20:00.000Z');
    // 2026-12-12 is a Saturday: the next weekday run is Monday the 14th.
    expect(nextRun('cron(0 8 ? * MON-FRI *)', new Date('2026-12-11T09:00:00Z'), null)?.toISOString()).toBe('2026-12-14T08:00:00.000Z');
    expect(nextRun('cron(0 0 1 JAN ? 2027)', now, null)?.toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });
  it("says it cannot tell for cron's L, W and #", () => {
    expect(nextRun('cron(0 12 L * ? *)', now, null)).toBeNull();
    expect(nextRun('cron(30 2 ? * 6#3 *)', now, null)).toBeNull();
  });
});

const settings: ScheduleSettings = {
  expression: 'rate(15 minutes)',
  timezone: 'UTC',
  state: 'ENABLED',
  flexibleWindow: 'OFF',
  targetArn: 'arn:aws:lambda:eu-west-1:1:function:s-ingest',
  roleArn: 'arn:aws:iam::1:role/bridge/s-scheduler-role-eu-west-1',
  deadLetterArn: 'arn:aws:sqs:eu-west-1:1:s-ingest-dlq',
  maximumEventAgeSeconds: 3600,
  maximumRetryAttempts: 3,
  input: '{}',
};
const tags = { 'bridge:stack': 's', 'bridge:schedule': 'rate 15 minutes' };
const live: ScheduleLive = { group: { arn: 'arn:aws:scheduler:eu-west-1:1:schedule-group/s', state: 'ACTIVE', tags }, schedule: { ...settings, created: null, modified: null } };

describe('what differs from the intended schedule', () => {
  it('is nothing when in sync', () => expect(diffSchedule(live, { settings, tags })).toEqual([]));

  it('names every field changed by hand', () => {
    const drifted: ScheduleLive = { ...live, schedule: { ...live.schedule!, state: 'DISABLED', expression: 'rate(5 minutes)', deadLetterArn: null, maximumRetryAttempts: 185 } };
    expect(diffSchedule(drifted, { settings, tags })).toEqual([
      { field: 'expression', before: 'rate(5 minutes)', after: 'rate(15 minutes)' },
      { field: 'state', before: 'DISABLED', after: 'ENABLED' },
      { field: 'dead-letter-queue', before: 'none', after: settings.deadLetterArn },
      { field: 'retry-max-attempts', before: '185', after: '3' },
    ]);
  });

  it('creates the group and schedule, puts back a schedule deleted from its group, and removes both without a schedule', () => {
    expect(diffSchedule(null, { settings, tags }).map((c) => c.field)).toEqual(['schedule-group', 'schedule']);
    expect(diffSchedule({ ...live, schedule: null }, { settings, tags }).map((c) => c.field)).toEqual(['schedule']);
    expect(diffSchedule(live, { settings: null, tags })).toEqual([{ field: 'remove', before: 'rate(15 minutes)', after: 'none' }]);
    expect(diffSchedule(null, { settings: null, tags })).toEqual([]);
  });

  it('rewrites the tag that keeps the intent when the expression changes', () => {
    expect(diffSchedule(live, { settings: { ...settings, expression: 'rate(1 hour)' }, tags: { ...tags, 'bridge:schedule': 'rate 1 hour' } }).map((c) => c.field)).toEqual(['tags', 'expression']);
  });
});

describe('the dead-letter queue', () => {
  const queue: DeadLetterQueueLive = { url: 'u', arn: 'a', kmsKeyId: 'arn:aws:kms:eu-west-1:1:key/k', sqsManagedSse: false, retentionSeconds: 1_209_600, hasPolicy: false, messages: 0, tags: { 'bridge:stack': 's' } };
  const intended = { wanted: true, keyArn: 'arn:aws:kms:eu-west-1:1:key/k', keyNames: ['alias/s'], retentionSeconds: 1_209_600, tags: { 'bridge:stack': 's' } };
  it('is in sync under the stack key, or its alias', () => {
    expect(diffDeadLetterQueue(queue, intended)).toEqual([]);
    expect(diffDeadLetterQueue({ ...queue, kmsKeyId: 'alias/s' }, intended)).toEqual([]);
  });
  it('puts back the stack key over SSE-SQS or the AWS managed key, the retention, and no policy', () => {
    expect(diffDeadLetterQueue({ ...queue, kmsKeyId: null, sqsManagedSse: true, retentionSeconds: 345_600, hasPolicy: true }, intended)).toEqual([
      { field: 'encryption-key', before: 'SSE-SQS', after: intended.keyArn },
      { field: 'retention', before: '345600 s', after: '1209600 s' },
      { field: 'queue-policy', before: 'a policy', after: 'none (IAM policies of this account only)' },
    ]);
    expect(diffDeadLetterQueue({ ...queue, kmsKeyId: 'alias/aws/sqs' }, intended)[0]).toMatchObject({ field: 'encryption-key', before: 'alias/aws/sqs' });
  });
  it('without a schedule, removes an empty queue and keeps one holding failed runs (data)', () => {
    expect(diffDeadLetterQueue(queue, { ...intended, wanted: false })).toEqual([{ field: 'remove', before: 'empty queue', after: 'none (no schedule)' }]);
    expect(diffDeadLetterQueue({ ...queue, messages: 3 }, { ...intended, wanted: false })).toEqual([]);
  });
});

describe("the function's failure destination", () => {
  const intended = { maximumRetryAttempts: 2, maximumEventAgeSeconds: 3600, onFailure: 'arn:aws:sqs:eu-west-1:1:s-ingest-dlq' };
  it('is set with a schedule, put back when changed, removed without one', () => {
    expect(diffAsyncConfig(null, intended)).toEqual([{ field: 'async-config', after: `failures to ${intended.onFailure} after 2 retries` }]);
    expect(diffAsyncConfig({ maximumRetryAttempts: 2, maximumEventAgeSeconds: 3600, onFailure: intended.onFailure, onSuccess: null }, intended)).toEqual([]);
    expect(diffAsyncConfig({ maximumRetryAttempts: 0, maximumEventAgeSeconds: 3600, onFailure: null, onSuccess: 'arn:aws:sqs:eu-west-1:1:elsewhere' }, intended).map((c) => c.field)).toEqual(['on-failure', 'on-success', 'maximum-retry-attempts']);
    expect(diffAsyncConfig({ maximumRetryAttempts: 2, maximumEventAgeSeconds: 3600, onFailure: intended.onFailure, onSuccess: null }, null).map((c) => c.field)).toEqual(['remove']);
    expect(diffAsyncConfig(null, null)).toEqual([]);
  });
});

describe("AWS's answers while something new is not yet visible", () => {
  const named = (name: string, message: string) => Object.assign(new Error(message), { name });
  it('knows them by name and words, and nothing else', () => {
    // Terraform's provider retries CreateSchedule/UpdateSchedule on this message for 2 minutes.
    expect(isRoleNotYetUsableByScheduler(named('ValidationException', 'The execution role you provide must allow AWS EventBridge Scheduler to assume the role.'))).toBe(true);
    expect(isRoleNotYetUsableByScheduler(named('ValidationException', 'Invalid Schedule Expression rate(0 minutes).'))).toBe(false);
    expect(isDestinationNotYetAllowed(named('InvalidParameterValueException', "The function's execution role does not have permissions to call SendMessage on arn:aws:sqs:eu-west-1:1:s-ingest-dlq"))).toBe(true);
    expect(isDestinationNotYetAllowed(named('InvalidParameterValueException', 'Invalid destination ARN'))).toBe(false);
    expect(isQueueNameNotYetFree(named('QueueDeletedRecently', 'You must wait 60 seconds after deleting a queue before you can create another queue with the same name.'))).toBe(true);
    expect(isQueueNameNotYetFree(named('QueueAlreadyExists', 'x'))).toBe(false);
  });
  it("waits SQS's 60 seconds out for a queue name deleted a moment ago, and no longer than its bound", async () => {
    const clock = fakeClock();
    let calls = 0;
    const result = await untilPropagated({ clock, progress: () => {} }, PROPAGATION.queueNameFree, async () => {
      calls += 1;
      if (clock.now() - 1_700_000_000_000 < 60_000) throw named('QueueDeletedRecently', 'You must wait 60 seconds after deleting a queue');
      return 'created';
    });
    expect(result).toBe('created');
    expect(calls).toBeGreaterThan(1);
    const forever = untilPropagated({ clock: fakeClock(), progress: () => {} }, PROPAGATION.queueNameFree, async () => {
      throw named('QueueDeletedRecently', 'You must wait 60 seconds');
    });
    await expect(forever).rejects.toThrow(/60 seconds/);
  });
});
