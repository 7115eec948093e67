/**
 * The schedule's dead-letter queue: where a scheduled run ends up when it failed after its
 * retries, both Scheduler's deliveries it could not make (throttled, denied, no function) and the
 * function's own failures (its async failure destination). Encrypted with the stack key, messages
 * kept 14 days (SQS's most), no queue policy: only principals of this account whose IAM policies
 * name the queue reach it. Its messages are data: teardown keeps a queue holding any unless
 * --delete-data, and so does --schedule none.
 */
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  SetQueueAttributesCommand,
  TagQueueCommand,
} from '@aws-sdk/client-sqs';
import { NotOursError, unlessNotFound } from '../errors.js';
import { isStackKey, stackKeyReferences } from '../names.js';
import { PROPAGATION, untilPropagated } from '../retry.js';
import { intendedSchedule } from './schedule-state.js';
import { tagsOf } from './tag-search.js';
import { isOurs, stackTags, tagsChange, type Tags } from './tags.js';
import { KNOWN_AFTER_APPLY, type FieldChange, type Resource, type StackContext } from './types.js';

/** SQS's longest retention: two weeks to look at why runs failed. */
export const DLQ_RETENTION_SECONDS = 1_209_600;
/** How long SQS reuses a data key before asking KMS again (SQS's default). */
export const DLQ_DATA_KEY_REUSE_SECONDS = 300;

export interface DeadLetterQueueLive {
  url: string;
  arn: string;
  kmsKeyId: string | null;
  sqsManagedSse: boolean;
  retentionSeconds: number;
  hasPolicy: boolean;
  /** Messages waiting (visible and in flight): failed runs nobody has looked at. */
  messages: number;
  tags: Tags;
}

export interface DeadLetterQueueIntended {
  wanted: boolean;
  keyArn: string;
  keyNames: string[];
  retentionSeconds: number;
  tags: Tags;
}

export async function readDeadLetterQueue(ctx: StackContext): Promise<DeadLetterQueueLive | null> {
  const QueueName = ctx.names.deadLetterQueue;
  const url = (await unlessNotFound(ctx.aws.sqs.send(new GetQueueUrlCommand({ QueueName })), 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'))?.QueueUrl;
  if (!url) return null;
  const [attributes, tags] = await Promise.all([
    ctx.aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] })),
    tagsOf(ctx, ctx.names.deadLetterQueueArn, async () => (await ctx.aws.sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags ?? {}),
  ]);
  if (!isOurs(tags, ctx.config.stack)) throw new NotOursError('SQS queue', QueueName, 'Choose another --stack.');
  const a = attributes.Attributes ?? {};
  return {
    url,
    arn: a.QueueArn ?? ctx.names.deadLetterQueueArn,
    kmsKeyId: a.KmsMasterKeyId || null,
    sqsManagedSse: a.SqsManagedSseEnabled === 'true',
    retentionSeconds: Number(a.MessageRetentionPeriod ?? 0),
    hasPolicy: !!a.Policy,
    messages: Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
    tags,
  };
}

export function deadLetterQueueIntended(ctx: StackContext): DeadLetterQueueIntended {
  return {
    wanted: intendedSchedule(ctx) !== null,
    keyArn: ctx.refs.keyArn ?? KNOWN_AFTER_APPLY,
    keyNames: stackKeyReferences(ctx.names, { id: ctx.refs.keyId }),
    retentionSeconds: DLQ_RETENTION_SECONDS,
    tags: stackTags(ctx.config.stack),
  };
}

export function diffDeadLetterQueue(live: DeadLetterQueueLive | null, intended: DeadLetterQueueIntended): FieldChange[] {
  if (!intended.wanted) {
    // Failed runs are data: a queue that holds some stays (setup says so), an empty one goes.
    return live && live.messages === 0 ? [{ field: 'remove', before: 'empty queue', after: 'none (no schedule)' }] : [];
  }
  if (!live) return [{ field: 'queue' }, { field: 'encryption-key', after: intended.keyArn }, { field: 'retention', after: `${intended.retentionSeconds} s` }, { field: 'tags' }];
  const changes: FieldChange[] = [];
  if (!live.kmsKeyId || ![intended.keyArn, ...intended.keyNames].includes(live.kmsKeyId)) {
    changes.push({ field: 'encryption-key', before: live.kmsKeyId ?? (live.sqsManagedSse ? 'SSE-SQS' : 'none'), after: intended.keyArn });
  }
  if (live.retentionSeconds !== intended.retentionSeconds) changes.push({ field: 'retention', before: `${live.retentionSeconds} s`, after: `${intended.retentionSeconds} s` });
  if (live.hasPolicy) changes.push({ field: 'queue-policy', before: 'a policy', after: 'none (IAM policies of this account only)' });
  changes.push(...tagsChange(live.tags, intended.tags));
  return changes;
}

/** Whether the queue is encrypted with the stack key (the audit's schedule-dlq-encrypted). */
export function encryptedWithStackKey(live: DeadLetterQueueLive, ctx: { names: StackContext['names']; keyArn: string | null; keyId: string | null }): boolean {
  return isStackKey(live.kmsKeyId, ctx.names, { arn: ctx.keyArn, id: ctx.keyId });
}

export const scheduleDeadLetterQueue: Resource<DeadLetterQueueLive, DeadLetterQueueIntended> = {
  kind: 'schedule-dlq',
  title: 'Dead-letter queue',
  dependsOn: ['kms-key'],
  ownership: {
    of: 'stack',
    retire(live, options) {
      if (!live) return { action: 'absent' };
      if (live.messages > 0 && !options.deleteData) return { action: 'retain', reason: `${live.messages} failed run${live.messages === 1 ? '' : 's'} waiting (data: --delete-data removes them)` };
      return { action: 'remove' };
    },
    async destroy(ctx, live) {
      await ctx.aws.sqs.send(new DeleteQueueCommand({ QueueUrl: live.url }));
      return live.messages > 0 ? `${live.messages} message${live.messages === 1 ? '' : 's'} deleted` : undefined;
    },
  },
  name: (ctx) => ctx.names.deadLetterQueue,
  read: (ctx) => readDeadLetterQueue(ctx),
  check(ctx, live) {
    if (live && live.messages > 0 && intendedSchedule(ctx) === null) {
      ctx.notes.push(`the dead-letter queue ${ctx.names.deadLetterQueue} keeps ${live.messages} failed run${live.messages === 1 ? '' : 's'}: it stays until they are read and deleted (or bridge teardown --delete-data)`);
    }
  },
  intended: deadLetterQueueIntended,
  diff: diffDeadLetterQueue,
  async apply(ctx, live, intended, changes) {
    const sqs = ctx.aws.sqs;
    const fields = new Set(changes.map((c) => c.field));
    if (fields.has('remove')) {
      if (live) await sqs.send(new DeleteQueueCommand({ QueueUrl: live.url }));
      return;
    }
    const attributes = {
      KmsMasterKeyId: ctx.refs.keyArn as string,
      KmsDataKeyReusePeriodSeconds: String(DLQ_DATA_KEY_REUSE_SECONDS),
      MessageRetentionPeriod: String(intended.retentionSeconds),
    };
    if (!live) {
      await untilPropagated(ctx, PROPAGATION.queueNameFree, () =>
        sqs.send(new CreateQueueCommand({ QueueName: ctx.names.deadLetterQueue, Attributes: attributes, tags: intended.tags })),
      );
      return;
    }
    if (fields.has('encryption-key') || fields.has('retention') || fields.has('queue-policy')) {
      // SQS holds one kind of encryption at a time: SSE-SQS goes off as the key comes in.
      const extra = { ...(fields.has('queue-policy') ? { Policy: '' } : {}), ...(live.sqsManagedSse ? { SqsManagedSseEnabled: 'false' } : {}) };
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl: live.url, Attributes: { ...attributes, ...extra } }));
    }
    if (fields.has('tags')) await sqs.send(new TagQueueCommand({ QueueUrl: live.url, Tags: intended.tags }));
  },
  describe: (ctx) => (intendedSchedule(ctx) !== null ? { name: ctx.names.deadLetterQueue, arn: ctx.names.deadLetterQueueArn } : null),
};
