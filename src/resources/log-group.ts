/**
 * A CloudWatch Logs group of the stack: retention set, encrypted with the stack key, tagged.
 * Created before what writes to it, so it never starts unencrypted or kept forever.
 */
import {
  AssociateKmsKeyCommand,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  type DescribeLogGroupsCommandOutput,
  ListTagsForResourceCommand,
  PutRetentionPolicyCommand,
  TagResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { NotOursError } from '../errors.js';
import { STACK_TAG_KEY, apiArns } from '../names.js';
import { untilKeyVisible } from '../retry.js';
import { taggedArns, tagsOf } from './tag-search.js';
import { isOurs, stackTags, tagsChange, type Tags } from './tags.js';
import { KNOWN_AFTER_APPLY, type FieldChange, type Resource, type StackContext } from './types.js';

export interface LogGroupLive {
  name: string;
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

type DescribedGroup = NonNullable<DescribeLogGroupsCommandOutput['logGroups']>[number];

/** Names asked for in the same turn of the event loop, answered by one DescribeLogGroups. */
const pendingBatches = new WeakMap<StackContext['aws'], { names: Set<string>; answer: Promise<Map<string, DescribedGroup>> }>();

/** DescribeLogGroups by exact names (logGroupIdentifiers, up to 50): the stack's three groups in one call. */
async function describeByNames(ctx: StackContext, names: string[]): Promise<Map<string, DescribedGroup>> {
  const found = new Map<string, DescribedGroup>();
  for (let i = 0; i < names.length; i += 50) {
    const wanted = names.slice(i, i + 50);
    let nextToken: string | undefined;
    do {
      const page = await ctx.aws.logs.send(new DescribeLogGroupsCommand({ logGroupIdentifiers: wanted, nextToken }));
      for (const group of page.logGroups ?? []) if (wanted.includes(group.logGroupName as string)) found.set(group.logGroupName as string, group);
      nextToken = page.nextToken;
    } while (nextToken && found.size < wanted.length);
  }
  return found;
}

function describeLogGroup(ctx: StackContext, name: string): Promise<DescribedGroup | undefined> {
  let batch = pendingBatches.get(ctx.aws);
  if (!batch) {
    const names = new Set<string>();
    const answer = new Promise((resolve) => setImmediate(resolve)).then(() => {
      pendingBatches.delete(ctx.aws);
      return describeByNames(ctx, [...names]);
    });
    batch = { names, answer };
    pendingBatches.set(ctx.aws, batch);
  }
  batch.names.add(name);
  return batch.answer.then((found) => found.get(name));
}

export async function readLogGroup(ctx: StackContext, name: string, adoptUntagged = false): Promise<LogGroupLive | null> {
  const group = await describeLogGroup(ctx, name);
  if (!group) return null;
  // DescribeLogGroups's `arn` ends in ':*'; the tagging API wants the ARN without it.
  const arn = group.logGroupArn ?? (group.arn ?? '').replace(/:\*$/, '');
  const tags = await tagsOf(ctx, arn, async () => (await ctx.aws.logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags ?? {});
  if (!isOurs(tags, ctx.config.stack) && !(adoptUntagged && tags[STACK_TAG_KEY] === undefined)) throw new NotOursError('log group', name, 'Delete it if it is left from an earlier function of that name, or choose another --stack.');
  return { name, arn, retentionDays: group.retentionInDays ?? null, kmsKeyId: group.kmsKeyId ?? null, tags };
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

interface LogGroupSpec {
  kind: string;
  title: string;
  /** Its name and ARN, or null while they depend on something not made yet (the API's id). */
  name: (ctx: StackContext) => string | null;
  arn: (ctx: StackContext) => string | null;
  dependsOn: string[];
  /** A group someone else creates under this name for a resource of ours (API Gateway's execution logs). */
  adoptUntagged?: boolean;
}

export function logGroupResource(spec: LogGroupSpec): Resource<LogGroupLive, LogGroupIntended> {
  const nameOf = (ctx: StackContext) => spec.name(ctx) ?? KNOWN_AFTER_APPLY;
  return {
    kind: spec.kind,
    title: spec.title,
    dependsOn: spec.dependsOn,
    // Logs are data: a group goes only with --delete-data.
    ownership: {
      of: 'stack',
      retire(live, options) {
        if (!live) return { action: 'absent' };
        return options.deleteData ? { action: 'remove' } : { action: 'retain', reason: 'kept with the data (--delete-data removes it)' };
      },
      async destroy(ctx, live) {
        await ctx.aws.logs.send(new DeleteLogGroupCommand({ logGroupName: live.name }));
      },
    },
    name: nameOf,
    read: (ctx) => {
      const name = spec.name(ctx);
      return name ? readLogGroup(ctx, name, spec.adoptUntagged === true) : Promise.resolve(null);
    },
    intended: (ctx) => ({ retentionDays: ctx.config.logRetentionDays, kmsKeyArn: ctx.refs.keyArn ?? KNOWN_AFTER_APPLY, tags: stackTags(ctx.config.stack) }),
    diff: diffLogGroup,
    async apply(ctx, live, intended, changes) {
      const logs = ctx.aws.logs;
      const logGroupName = nameOf(ctx);
      const fields = new Set(changes.map((c) => c.field));
      if (!live) {
        await untilKeyVisible(ctx, () => logs.send(new CreateLogGroupCommand({ logGroupName, kmsKeyId: intended.kmsKeyArn, tags: intended.tags })), 'CloudWatch Logs');
      } else {
        if (fields.has('encryption')) {
          await untilKeyVisible(ctx, () => logs.send(new AssociateKmsKeyCommand({ logGroupName, kmsKeyId: intended.kmsKeyArn })), 'CloudWatch Logs');
        }
        if (fields.has('tags')) await logs.send(new TagResourceCommand({ resourceArn: live.arn, tags: intended.tags }));
      }
      if (fields.has('retention')) await logs.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays: intended.retentionDays }));
    },
    describe: (ctx) => ({ name: nameOf(ctx), arn: spec.arn(ctx) ?? KNOWN_AFTER_APPLY }),
  };
}

export const functionLogGroup = logGroupResource({
  kind: 'function-log-group',
  title: 'Function log group',
  name: (ctx) => ctx.names.functionLogGroup,
  arn: (ctx) => ctx.names.functionLogGroupArn,
  // CloudWatch Logs may use the key only once the key policy lets it.
  dependsOn: ['kms-key-policy'],
});

export const apiLogGroup = logGroupResource({
  kind: 'api-log-group',
  title: 'API access log group',
  name: (ctx) => ctx.names.apiLogGroup,
  arn: (ctx) => ctx.names.apiLogGroupArn,
  dependsOn: ['kms-key-policy'],
});

/**
 * API-Gateway-Execution-Logs_{apiId}/prod: API Gateway creates it itself on the first execution
 * log, unencrypted and kept forever. Made first, with the key and retention; one API Gateway made
 * already (for the stack's own API, whose id is in its name) is adopted.
 */
export const apiExecutionLogGroup = logGroupResource({
  kind: 'api-execution-log-group',
  title: 'API execution log group',
  name: (ctx) => (ctx.refs.apiId ? apiArns(ctx.names, ctx.refs.apiId).executionLogGroup : null),
  arn: (ctx) => (ctx.refs.apiId ? apiArns(ctx.names, ctx.refs.apiId).executionLogGroupArn : null),
  dependsOn: ['kms-key-policy', 'rest-api'],
  adoptUntagged: true,
});

/**
 * Execution log groups of the stack's earlier APIs: a teardown that kept the data removed the API
 * but kept its execution logs, and the next setup made a new API with a new id. Found by the
 * stack tag through the tagging API (or, where that is refused, by name and tag).
 */
export async function earlierExecutionLogGroups(ctx: StackContext, current: string | null): Promise<LogGroupLive[]> {
  const prefix = 'API-Gateway-Execution-Logs_';
  // The tagging API filters log groups by service only on the local AWS; AWS takes both forms.
  let names = (await taggedArns(ctx, 'logs'))?.map((arn) => arn.replace(/^arn:[^:]+:logs:[^:]+:\d+:log-group:/, '').replace(/:\*$/, ''));
  if (!names) {
    names = [];
    let nextToken: string | undefined;
    do {
      const page = await ctx.aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix, nextToken }));
      names.push(...(page.logGroups ?? []).map((g) => g.logGroupName as string));
      nextToken = page.nextToken;
    } while (nextToken);
  }
  const candidates = names.filter((name) => name.startsWith(prefix) && name !== current);
  const found: LogGroupLive[] = [];
  for (const name of candidates) {
    const live = await readLogGroup(ctx, name).catch((error: unknown) => {
      if (error instanceof NotOursError) return null;
      throw error;
    });
    if (live) found.push(live);
  }
  return found;
}
