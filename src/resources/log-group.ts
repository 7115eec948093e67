/**
 * A CloudWatch Logs group of the stack: retention set, encrypted with the stack key, tagged.
 * Created before what writes to it, so it never starts unencrypted or kept forever.
 */
import {
  AssociateKmsKeyCommand,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand,
  PutRetentionPolicyCommand,
  TagResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { NotOursError } from '../errors.js';
import type { StackNames } from '../names.js';
import { untilKeyVisible } from '../retry.js';
import { isOurs, stackTags, tagsChange, type Tags } from './tags.js';
import { KNOWN_AFTER_APPLY, type FieldChange, type Resource, type StackContext } from './types.js';

export interface LogGroupLive {
  arn: string;
  retentionDays: number | null;
  kmsKeyId: string | null;
  tags: Tags;
}

export interface LogGroupIntended {
  retentionDays: number;
  kmsKeyArn: string;
  tags: Tags;
}

export async function readLogGroup(ctx: StackContext, name: string): Promise<LogGroupLive | null> {
  let nextToken: string | undefined;
  do {
    const page = await ctx.aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name, nextToken }));
    const group = page.logGroups?.find((g) => g.logGroupName === name);
    if (group) {
      // DescribeLogGroups's `arn` ends in ':*'; the tagging API wants the ARN without it.
      const arn = group.logGroupArn ?? (group.arn ?? '').replace(/:\*$/, '');
      const tags = (await ctx.aws.logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags ?? {};
      if (!isOurs(tags, ctx.config.stack)) throw new NotOursError('log group', name, 'Delete it if it is left from an earlier function of that name, or choose another --stack.');
      return { arn, retentionDays: group.retentionInDays ?? null, kmsKeyId: group.kmsKeyId ?? null, tags };
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return null;
}

export function diffLogGroup(live: LogGroupLive | null, intended: LogGroupIntended): FieldChange[] {
  if (!live) return [{ field: 'log-group' }, { field: 'retention' }, { field: 'encryption' }, { field: 'tags' }];
  const changes: FieldChange[] = [];
  if (live.retentionDays !== intended.retentionDays) {
    changes.push({ field: 'retention', before: live.retentionDays === null ? 'never expire' : `${live.retentionDays} days`, after: `${intended.retentionDays} days` });
  }
  if (live.kmsKeyId !== intended.kmsKeyArn) changes.push({ field: 'encryption', before: live.kmsKeyId ?? 'none', after: intended.kmsKeyArn });
  changes.push(...tagsChange(live.tags, intended.tags));
  return changes;
}

export function logGroupResource(spec: { kind: string; title: string; name: (names: StackNames) => string; arn: (names: StackNames) => string; dependsOn: string[] }): Resource<LogGroupLive, LogGroupIntended> {
  return {
    kind: spec.kind,
    title: spec.title,
    dependsOn: spec.dependsOn,
    name: (ctx) => spec.name(ctx.names),
    read: (ctx) => readLogGroup(ctx, spec.name(ctx.names)),
    intended: (ctx) => ({ retentionDays: ctx.config.logRetentionDays, kmsKeyArn: ctx.refs.keyArn ?? KNOWN_AFTER_APPLY, tags: stackTags(ctx.config.stack) }),
    diff: diffLogGroup,
    async apply(ctx, live, intended, changes) {
      const logs = ctx.aws.logs;
      const logGroupName = spec.name(ctx.names);
      const fields = new Set(changes.map((c) => c.field));
      if (!live) {
        await untilKeyVisible(() => logs.send(new CreateLogGroupCommand({ logGroupName, kmsKeyId: intended.kmsKeyArn, tags: intended.tags })), ctx.progress, 'CloudWatch Logs');
      } else {
        if (fields.has('encryption')) {
          await untilKeyVisible(() => logs.send(new AssociateKmsKeyCommand({ logGroupName, kmsKeyId: intended.kmsKeyArn })), ctx.progress, 'CloudWatch Logs');
        }
        if (fields.has('tags')) await logs.send(new TagResourceCommand({ resourceArn: live.arn, tags: intended.tags }));
      }
      if (fields.has('retention')) await logs.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays: intended.retentionDays }));
    },
    describe: (ctx) => ({ name: spec.name(ctx.names), arn: spec.arn(ctx.names) }),
  };
}

export const functionLogGroup = logGroupResource({
  kind: 'function-log-group',
  title: 'Function log group',
  name: (n) => n.functionLogGroup,
  arn: (n) => n.functionLogGroupArn,
  // CloudWatch Logs may use the key only once the key policy lets it.
  dependsOn: ['kms-key-policy'],
});

export const apiLogGroup = logGroupResource({
  kind: 'api-log-group',
  title: 'API access log group',
  name: (n) => n.apiLogGroup,
  arn: (n) => n.apiLogGroupArn,
  dependsOn: ['kms-key-policy'],
});

function logGroupTeardown(resource: Resource<LogGroupLive, LogGroupIntended>, name: (names: StackNames) => string): void {
  resource.teardown = {
    retire(live, options) {
      if (!live) return { action: 'absent' };
      return options.deleteData ? { action: 'remove' } : { action: 'retain', reason: 'kept with the data (--delete-data removes it)' };
    },
    async destroy(ctx) {
      await ctx.aws.logs.send(new DeleteLogGroupCommand({ logGroupName: name(ctx.names) }));
    },
  };
}

logGroupTeardown(functionLogGroup, (n) => n.functionLogGroup);
logGroupTeardown(apiLogGroup, (n) => n.apiLogGroup);
