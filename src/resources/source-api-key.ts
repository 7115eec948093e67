/**
 * The source API key: an SSM SecureString encrypted with the stack key. The value only ever comes
 * from --source-key-env or --source-key-stdin, is compared in constant time, and is never printed.
 */
import { stackKeyReferences } from '../names.js';
import {
  AddTagsToResourceCommand,
  DeleteParameterCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
} from '@aws-sdk/client-ssm';
import { NotOursError, UsageError } from '../errors.js';
import { untilKeyVisible } from '../retry.js';
import { Secret } from '../secret.js';
import { tagsOf } from './tag-search.js';
import { isOurs, stackTags, tagList, tagRecord, tagsChange, type Tags } from './tags.js';
import { KNOWN_AFTER_APPLY, type FieldChange, type Resource, type StackContext } from './types.js';

export interface SourceKeyLive {
  type: string;
  keyId: string | null;
  tags: Tags;
  /** Whether the stored value equals the one given on this run; null when none was given. */
  valueMatches: boolean | null;
}

export interface SourceKeyIntended {
  keyArn: string;
  keyNames: string[];
  tags: Tags;
  value: Secret | null;
}

async function storedValue(ctx: StackContext): Promise<string> {
  const result = await ctx.aws.ssm.send(new GetParameterCommand({ Name: ctx.names.parameterName, WithDecryption: true }));
  return result.Parameter?.Value ?? '';
}

export async function readSourceKey(ctx: StackContext): Promise<SourceKeyLive | null> {
  const Name = ctx.names.parameterName;
  const described = await ctx.aws.ssm.send(
    new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [Name] }] }),
  );
  const parameter = described.Parameters?.find((p) => p.Name === Name);
  if (!parameter) return null;
  const tags = await tagsOf(ctx, ctx.names.parameterArn, async () =>
    tagRecord((await ctx.aws.ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: Name }))).TagList),
  );
  if (!isOurs(tags, ctx.config.stack)) throw new NotOursError('SSM parameter', Name, 'Choose another --stack.');
  const given = ctx.inputs.apiKey;
  return {
    type: parameter.Type ?? 'String',
    keyId: parameter.KeyId ?? null,
    tags,
    valueMatches: given ? given.equals(await storedValue(ctx)) : null,
  };
}

export function sourceKeyIntended(ctx: StackContext): SourceKeyIntended {
  const n = ctx.names;
  return {
    keyArn: ctx.refs.keyArn ?? KNOWN_AFTER_APPLY,
    keyNames: stackKeyReferences(n, { id: ctx.refs.keyId }),
    tags: stackTags(ctx.config.stack),
    value: ctx.inputs.apiKey ?? null,
  };
}

export function diffSourceKey(live: SourceKeyLive | null, intended: SourceKeyIntended): FieldChange[] {
  if (!live) return [{ field: 'parameter' }, { field: 'value' }, { field: 'tags' }];
  const changes: FieldChange[] = [];
  if (live.type !== 'SecureString') changes.push({ field: 'type', before: live.type, after: 'SecureString' });
  if (!live.keyId || ![intended.keyArn, ...intended.keyNames].includes(live.keyId)) {
    changes.push({ field: 'encryption-key', before: live.keyId ?? 'none', after: intended.keyArn });
  }
  // Never show either value: only that it changes.
  if (live.valueMatches === false) changes.push({ field: 'value', after: 'new value (not shown)' });
  changes.push(...tagsChange(live.tags, intended.tags));
  return changes;
}

/** Pure: the hosts when a new source URL points at another host than the deployed one (a port is the same party). */
export function sourceHostMove(deployed: string | undefined, next: string | undefined): { from: string; to: string } | null {
  if (!deployed || !next) return null;
  try {
    const from = new URL(deployed).hostname.toLowerCase();
    const to = new URL(next).hostname.toLowerCase();
    return from === to ? null : { from, to };
  } catch {
    return null;
  }
}

export const sourceApiKey: Resource<SourceKeyLive, SourceKeyIntended> = {
  kind: 'source-api-key',
  title: 'Source API key',
  dependsOn: ['kms-key'],
  ownership: {
    of: 'stack',
    retire: (live) => (live ? { action: 'remove' } : { action: 'absent' }),
    async destroy(ctx) {
      await ctx.aws.ssm.send(new DeleteParameterCommand({ Name: ctx.names.parameterName }));
    },
  },
  name: (ctx) => ctx.names.parameterName,
  read: (ctx) => readSourceKey(ctx),
  // The first setup needs both halves of the source: the key (stored here) and the URL (kept in the
  // function's environment). One message names all that is missing.
  check(ctx, live, lives) {
    const needsUrl = !lives.get('function') && !ctx.config.source.url;
    const missing = [
      ...(live || ctx.inputs.apiKey ? [] : ['the source API key (--source-key-env NAME or --source-key-stdin)']),
      ...(needsUrl ? ['the source URL (--source-url URL or source.url in bridge.config.json)'] : []),
    ];
    if (missing.length > 0) {
      throw new UsageError(`the first setup of stack '${ctx.config.stack}' needs ${missing.join(' and ')}`);
    }
    const moved = sourceHostMove(ctx.refs.sourceUrl, ctx.config.source.url);
    if (live && moved && !ctx.inputs.apiKey && !ctx.inputs.keepSourceKey) {
      throw new UsageError(
        `--source-url moves the source from ${moved.from} to ${moved.to}, and the stored key was given for ${moved.from}: give the key for ${moved.to} (--source-key-env NAME or --source-key-stdin), or pass --keep-source-key to send the stored one there`,
      );
    }
  },
  intended: sourceKeyIntended,
  diff: diffSourceKey,
  async apply(ctx, live, intended, changes) {
    const fields = new Set(changes.map((c) => c.field));
    const ssm = ctx.aws.ssm;
    const Name = ctx.names.parameterName;
    const common = {
      Name,
      Type: 'SecureString' as const,
      KeyId: ctx.refs.keyArn,
      Description: `bridge stack ${ctx.config.stack}: the source API key, read by the ingest function`,
      Tier: 'Standard' as const,
    };
    if (!live) {
      const value = intended.value as Secret;
      await untilKeyVisible(ctx, () => ssm.send(new PutParameterCommand({ ...common, Value: value.reveal(), Tags: tagList(intended.tags) })), 'SSM');
      return;
    }
    if (fields.has('type') || fields.has('encryption-key') || fields.has('value')) {
      // Re-encrypting with the stack key needs the value: the new one, or the one stored now.
      const value = intended.value ?? new Secret(await storedValue(ctx));
      await untilKeyVisible(ctx, () => ssm.send(new PutParameterCommand({ ...common, Value: value.reveal(), Overwrite: true })), 'SSM');
    }
    if (fields.has('tags')) {
      await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'Parameter', ResourceId: Name, Tags: tagList(intended.tags) }));
    }
  },
  describe: (ctx) => ({ name: ctx.names.parameterName, arn: ctx.names.parameterArn }),
};

