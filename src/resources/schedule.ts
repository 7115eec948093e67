/**
 * The ingestion schedule: an EventBridge Scheduler schedule S-ingest in the stack's own group S,
 * invoking the function with the scheduled-run event, time window off, a bounded retry policy and
 * the dead-letter queue. Scheduler tags groups only, so the group carries the stack's tag and
 * proves the schedule inside is the stack's. Deleting the group deletes its schedules.
 */
import {
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  DeleteScheduleGroupCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { BridgeError, NotOursError, UsageError, unlessNotFound } from '../errors.js';
import { PROPAGATION, untilPropagated } from '../retry.js';
import { SCHEDULE_INPUT, SCHEDULE_RETRY, SCHEDULE_TAG_KEY, diffSchedule, expressionFromTag, expressionToTag, intendedSchedule, type ScheduleIntended, type ScheduleLive, type ScheduleSettings } from './schedule-state.js';
import { isOurs, stackTags, tagList, tagRecord } from './tags.js';
import type { Resource, StackContext } from './types.js';

const NOT_FOUND = 'ResourceNotFoundException';

export async function readSchedule(ctx: StackContext): Promise<ScheduleLive | null> {
  const n = ctx.names;
  const group = await unlessNotFound(ctx.aws.scheduler.send(new GetScheduleGroupCommand({ Name: n.scheduleGroup })), NOT_FOUND);
  if (!group) return null;
  // A group Scheduler is deleting (an earlier teardown or --schedule none) is on its way out, with
  // its schedules: there is nothing to remove, and its name is free again once it is gone.
  if (group.State === 'DELETING') {
    if (ctx.config.schedule) throw new BridgeError(`the schedule group ${n.scheduleGroup} is still being deleted (by an earlier teardown or --schedule none): run setup again in a minute`);
    return null;
  }
  // Read directly, never from the tag index: the group's tags hold the intended expression, and
  // the index lags behind a tag a run a minute ago rewrote.
  const tags = tagRecord((await ctx.aws.scheduler.send(new ListTagsForResourceCommand({ ResourceArn: group.Arn ?? n.scheduleGroupArn }))).Tags);
  if (!isOurs(tags, ctx.config.stack)) throw new NotOursError('EventBridge Scheduler schedule group', n.scheduleGroup, 'Choose another --stack.');
  const found = await unlessNotFound(ctx.aws.scheduler.send(new GetScheduleCommand({ GroupName: n.scheduleGroup, Name: n.scheduleName })), NOT_FOUND);
  return {
    group: { arn: group.Arn ?? n.scheduleGroupArn, state: group.State ?? 'ACTIVE', tags },
    schedule: found
      ? {
          expression: found.ScheduleExpression ?? '',
          timezone: found.ScheduleExpressionTimezone ?? 'UTC',
          state: found.State ?? 'ENABLED',
          flexibleWindow: found.FlexibleTimeWindow?.Mode ?? 'OFF',
          targetArn: found.Target?.Arn ?? '',
          roleArn: found.Target?.RoleArn ?? '',
          deadLetterArn: found.Target?.DeadLetterConfig?.Arn ?? null,
          maximumEventAgeSeconds: found.Target?.RetryPolicy?.MaximumEventAgeInSeconds ?? null,
          maximumRetryAttempts: found.Target?.RetryPolicy?.MaximumRetryAttempts ?? null,
          input: found.Target?.Input ?? null,
          created: found.CreationDate ?? null,
          modified: found.LastModificationDate ?? null,
        }
      : null,
  };
}

export function scheduleIntended(ctx: StackContext): ScheduleIntended {
  const expression = intendedSchedule(ctx);
  const n = ctx.names;
  const settings: ScheduleSettings | null = expression
    ? {
        expression,
        timezone: 'UTC',
        state: 'ENABLED',
        flexibleWindow: 'OFF',
        targetArn: n.functionArn,
        roleArn: n.schedulerRoleArn,
        deadLetterArn: n.deadLetterQueueArn,
        maximumEventAgeSeconds: SCHEDULE_RETRY.maximumEventAgeSeconds,
        maximumRetryAttempts: SCHEDULE_RETRY.maximumRetryAttempts,
        input: SCHEDULE_INPUT,
      }
    : null;
  return { settings, tags: { ...stackTags(ctx.config.stack), ...(expression ? { [SCHEDULE_TAG_KEY]: expressionToTag(expression) } : {}) } };
}

function scheduleInput(ctx: StackContext, s: ScheduleSettings): CreateScheduleCommandInput {
  return {
    Name: ctx.names.scheduleName,
    GroupName: ctx.names.scheduleGroup,
    Description: `bridge stack ${ctx.config.stack}: pulls the source into the bucket`,
    ScheduleExpression: s.expression,
    ScheduleExpressionTimezone: s.timezone,
    State: 'ENABLED',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: {
      Arn: s.targetArn,
      RoleArn: s.roleArn,
      Input: s.input ?? undefined,
      DeadLetterConfig: { Arn: s.deadLetterArn ?? undefined },
      RetryPolicy: { MaximumEventAgeInSeconds: s.maximumEventAgeSeconds ?? undefined, MaximumRetryAttempts: s.maximumRetryAttempts ?? undefined },
    },
  };
}

/** The group goes with every schedule in it (Scheduler deletes them, asynchronously). */
async function removeSchedule(ctx: StackContext, live: ScheduleLive): Promise<void> {
  // The schedule first, so it stops at once rather than when the group's deletion reaches it.
  if (live.schedule) await unlessNotFound(ctx.aws.scheduler.send(new DeleteScheduleCommand({ GroupName: ctx.names.scheduleGroup, Name: ctx.names.scheduleName })), NOT_FOUND);
  await unlessNotFound(ctx.aws.scheduler.send(new DeleteScheduleGroupCommand({ Name: ctx.names.scheduleGroup })), NOT_FOUND);
}

export const ingestSchedule: Resource<ScheduleLive, ScheduleIntended> = {
  kind: 'schedule',
  title: 'Ingestion schedule',
  dependsOn: ['function', 'scheduler-role', 'schedule-dlq'],
  ownership: {
    of: 'stack',
    retire: (live) => (live ? { action: 'remove' } : { action: 'absent' }),
    destroy: (ctx, live) => removeSchedule(ctx, live),
  },
  name: (ctx) => `${ctx.names.scheduleGroup}/${ctx.names.scheduleName}`,
  read: (ctx) => readSchedule(ctx),
  learn(ctx, live) {
    // What setup last made the schedule, as the group's tag keeps it; the schedule's own only
    // where the tag is gone (then a hand-made change is taken as the intent).
    const intended = expressionFromTag(live?.group.tags[SCHEDULE_TAG_KEY]) ?? live?.schedule?.expression;
    if (intended) ctx.refs.scheduleExpression = intended;
  },
  check(ctx, live) {
    // The group says the stack has a schedule; without the schedule or the tag, its expression is lost.
    if (live && !ctx.refs.scheduleExpression && ctx.config.schedule === undefined) {
      throw new UsageError(
        `the schedule ${ctx.names.scheduleName} is gone from its group ${ctx.names.scheduleGroup} (deleted outside bridge): give --schedule EXPRESSION to put it back, or --schedule none to remove the rest`,
      );
    }
  },
  intended: scheduleIntended,
  diff: diffSchedule,
  async apply(ctx, live, intended, changes) {
    const scheduler = ctx.aws.scheduler;
    const fields = new Set(changes.map((c) => c.field));
    if (fields.has('remove') || !intended.settings) {
      if (live) await removeSchedule(ctx, live);
      return;
    }
    if (!live) await scheduler.send(new CreateScheduleGroupCommand({ Name: ctx.names.scheduleGroup, Tags: tagList(intended.tags) }));
    else if (fields.has('tags')) await scheduler.send(new TagResourceCommand({ ResourceArn: live.group.arn, Tags: tagList(intended.tags) }));
    const input = scheduleInput(ctx, intended.settings);
    const others = [...fields].filter((f) => f !== 'tags' && f !== 'schedule-group');
    if (others.length === 0) return;
    await untilPropagated(ctx, PROPAGATION.roleUsableByScheduler, () =>
      scheduler.send(live?.schedule ? new UpdateScheduleCommand(input) : new CreateScheduleCommand(input)),
    );
  },
  describe(ctx) {
    const expression = intendedSchedule(ctx);
    return expression ? { name: ctx.names.scheduleName, group: ctx.names.scheduleGroup, arn: ctx.names.scheduleArn, expression } : null;
  },
};
