/**
 * The stack's customer managed KMS key: alias/S, rotation on, tagged. Its key policy is a
 * separate resource (kms-key-policy) because it names the execution role and the operator user,
 * which must exist before KMS accepts them as principals.
 */
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DeleteAliasCommand,
  ScheduleKeyDeletionCommand,
  DescribeKeyCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  ListGrantsCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  TagResourceCommand,
  UpdateKeyDescriptionCommand,
  type KeyMetadata,
} from '@aws-sdk/client-kms';
import { NotOursError, awsErrorName, unlessNotFound } from '../errors.js';
import { STACK_TAG_KEY, partitionValues } from '../names.js';
import { parsePolicy, type PolicyDocument } from '../policy.js';
import { untilKeyVisible } from '../retry.js';
import { renderTemplate } from '../templates.js';
import { taggedArns, tagsOf } from './tag-search.js';
import { isOurs, stackTags, tagRecord, tagsChange, type Tags } from './tags.js';
import { KNOWN_AFTER_APPLY, type FieldChange, type Resource, type StackContext } from './types.js';

export interface KeyLive {
  keyId: string;
  arn: string;
  state: string;
  description: string;
  rotation: boolean;
  tags: Tags;
  aliased: boolean;
  policy: PolicyDocument | null;
}

export interface KeyIntended {
  description: string;
  tags: Tags;
}

async function keyTags(ctx: StackContext, keyId: string): Promise<Tags> {
  const tags: Tags = {};
  let marker: string | undefined;
  do {
    const page = await ctx.aws.kms.send(new ListResourceTagsCommand({ KeyId: keyId, Marker: marker }));
    Object.assign(tags, tagRecord(page.Tags));
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return tags;
}

async function describeKey(ctx: StackContext, keyId: string): Promise<KeyMetadata | null> {
  return (await unlessNotFound(ctx.aws.kms.send(new DescribeKeyCommand({ KeyId: keyId }))))?.KeyMetadata ?? null;
}

/** A grant on a key: a way to use it that the key policy does not show. */
export interface KeyGrant {
  id: string;
  name: string;
  grantee: string;
  retiring: string | null;
  operations: string[];
  /** The encryption context the grant is limited to, as written; null when unconstrained. */
  constraints: string | null;
}

/** Every grant on the key (the audit's read; setup makes none). */
export async function listKeyGrants(ctx: StackContext, keyId: string): Promise<KeyGrant[]> {
  const grants: KeyGrant[] = [];
  let marker: string | undefined;
  do {
    const page = await ctx.aws.kms.send(new ListGrantsCommand({ KeyId: keyId, Marker: marker }));
    for (const g of page.Grants ?? []) {
      const c = g.Constraints;
      const context = c?.EncryptionContextEquals ?? c?.EncryptionContextSubset;
      grants.push({
        id: g.GrantId ?? '',
        name: g.Name ?? '',
        grantee: g.GranteePrincipal ?? '',
        retiring: g.RetiringPrincipal ?? null,
        operations: (g.Operations ?? []).map(String),
        constraints: context && Object.keys(context).length > 0 ? JSON.stringify(context) : null,
      });
    }
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return grants;
}

/** The state of each key (Enabled, PendingDeletion, ...), or 'unknown' where its policy shuts us out. */
export async function keyStates(ctx: StackContext, keyIds: string[]): Promise<Record<string, string>> {
  const states: Record<string, string> = {};
  await Promise.all(
    keyIds.map(async (keyId) => {
      try {
        states[keyId] = (await describeKey(ctx, keyId))?.KeyState ?? 'gone';
      } catch (error) {
        if (awsErrorName(error) !== 'AccessDeniedException') throw error;
        states[keyId] = 'unknown';
      }
    }),
  );
  return states;
}

async function allKeyIds(ctx: StackContext): Promise<string[]> {
  const keyIds: string[] = [];
  let marker: string | undefined;
  do {
    const page = await ctx.aws.kms.send(new ListKeysCommand({ Marker: marker }));
    keyIds.push(...(page.Keys ?? []).map((k) => k.KeyId as string));
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return keyIds;
}

/**
 * A key tagged for this stack but without the alias: left by a run interrupted between CreateKey
 * and CreateAlias. CreateKey is not idempotent, so setup adopts this key instead of making another.
 * Found through the tagging API; scanning every key of the region (slow and throttled where there
 * are hundreds) is the fallback for callers refused that API.
 */
export async function findUnaliasedStackKey(ctx: StackContext): Promise<KeyMetadata | null> {
  const keyIds = (await taggedArns(ctx, 'kms:key')) ?? (await allKeyIds(ctx));
  const candidates: KeyMetadata[] = [];
  // A few keys at a time; each candidate's tags are read from KMS itself, as the tagging API's
  // index may lag behind a tag change.
  const examine = async (keyId: string) => {
    let tags: Tags;
    try {
      tags = await keyTags(ctx, keyId);
    } catch (error) {
      // AWS managed keys and keys whose policy shuts us out cannot be ours.
      if (awsErrorName(error) === 'AccessDeniedException') return;
      throw error;
    }
    if (!isOurs(tags, ctx.config.stack)) return;
    const metadata = await describeKey(ctx, keyId);
    if (metadata && metadata.KeyManager === 'CUSTOMER' && metadata.KeyState !== 'PendingDeletion') candidates.push(metadata);
  };
  for (let i = 0; i < keyIds.length; i += 8) await Promise.all(keyIds.slice(i, i + 8).map(examine));
  candidates.sort((a, b) => (a.CreationDate?.getTime() ?? 0) - (b.CreationDate?.getTime() ?? 0));
  return candidates[0] ?? null;
}

async function readKey(ctx: StackContext): Promise<KeyLive | null> {
  const alias = ctx.names.keyAlias;
  let metadata = await describeKey(ctx, alias);
  const aliased = metadata !== null;
  // Read once: for the ownership check of an aliased key, and for the diff.
  let known: Tags | null = null;
  if (metadata) {
    const keyId = metadata.KeyId as string;
    known = await tagsOf(ctx, metadata.Arn as string, () => keyTags(ctx, keyId));
    if (!isOurs(known, ctx.config.stack)) {
      throw new NotOursError('KMS key', alias, `Choose another --stack, or remove the alias if the key is not in use.`);
    }
  } else {
    metadata = await findUnaliasedStackKey(ctx);
    if (!metadata) return null;
  }
  const keyId = metadata.KeyId as string;
  const [tags, rotation, policy] = await Promise.all([
    known ?? keyTags(ctx, keyId),
    ctx.aws.kms
      .send(new GetKeyRotationStatusCommand({ KeyId: keyId }))
      .then((r) => r.KeyRotationEnabled === true)
      // A key pending deletion or disabled cannot answer; setup re-enables rotation after enabling it.
      .catch((error: unknown) => {
        if (awsErrorName(error) === 'KMSInvalidStateException' || awsErrorName(error) === 'DisabledException') return false;
        throw error;
      }),
    ctx.aws.kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' })).then((r) => (r.Policy ? parsePolicy(r.Policy) : null)),
  ]);
  return {
    keyId,
    arn: metadata.Arn as string,
    state: metadata.KeyState ?? 'Unknown',
    description: metadata.Description ?? '',
    rotation,
    tags,
    aliased,
    policy,
  };
}

export const kmsKey: Resource<KeyLive, KeyIntended> = {
  kind: 'kms-key',
  title: 'KMS key',
  dependsOn: [],
  ownership: {
    of: 'stack',
    retire(live, options) {
      if (!live) return { action: 'absent' };
      // A teardown stopped between ScheduleKeyDeletion and DeleteAlias leaves the alias on a key
      // pending deletion: the alias still goes, or no later teardown would ever remove it.
      if (live.state === 'PendingDeletion') return live.aliased ? { action: 'remove' } : { action: 'absent' };
      // Whatever is kept (objects, logs) is encrypted with it: without the key it is unreadable.
      if (!options.deleteData) return { action: 'retain', reason: 'the retained data and logs are encrypted with it (--delete-data schedules its deletion)' };
      return { action: 'remove' };
    },
    async destroy(ctx, live, options) {
      if (live.state === 'PendingDeletion') {
        await ctx.aws.kms.send(new DeleteAliasCommand({ AliasName: ctx.names.keyAlias }));
        return 'its alias removed; the key was already pending deletion';
      }
      // KMS never deletes a key at once: it waits, and the deletion can be cancelled until then.
      const scheduled = await ctx.aws.kms.send(new ScheduleKeyDeletionCommand({ KeyId: live.keyId, PendingWindowInDays: options.keyDeletionDays }));
      if (live.aliased) await ctx.aws.kms.send(new DeleteAliasCommand({ AliasName: ctx.names.keyAlias }));
      const date = (scheduled.DeletionDate ?? new Date(Date.now() + options.keyDeletionDays * 86_400_000)).toISOString().slice(0, 10);
      return `deletion scheduled for ${date}; to cancel: aws kms cancel-key-deletion --key-id ${live.keyId} --region ${ctx.config.region}`;
    },
  },
  name: (ctx) => ctx.names.keyAlias,
  read: (ctx) => readKey(ctx),
  learn(ctx, live) {
    if (live) {
      ctx.refs.keyArn = live.arn;
      ctx.refs.keyId = live.keyId;
    }
  },
  intended: (ctx) => ({
    description: `bridge stack ${ctx.config.stack}: encrypts the data bridge's objects, source API key and logs`,
    tags: stackTags(ctx.config.stack),
  }),
  diff(live, intended) {
    if (!live) return [{ field: 'key' }, { field: 'alias' }, { field: 'rotation', after: 'on' }, { field: 'tags' }];
    const changes: FieldChange[] = [];
    if (!live.aliased) changes.push({ field: 'alias', before: 'missing', after: 'set' });
    if (live.state !== 'Enabled') changes.push({ field: 'state', before: live.state, after: 'Enabled' });
    if (!live.rotation) changes.push({ field: 'rotation', before: 'off', after: 'on' });
    if (live.description !== intended.description) changes.push({ field: 'description' });
    changes.push(...tagsChange(live.tags, intended.tags));
    return changes;
  },
  async apply(ctx, live, intended, changes) {
    const fields = new Set(changes.map((c) => c.field));
    let keyId = live?.keyId;
    if (!live) {
      // Created with the administration statement only; kms-key-policy adds the principals later.
      const bootstrap = renderTemplate('kms-key-policy', { ...policyValuesFromNames(ctx), RoleArn: null, OperatorUserArn: null, ApiExecutionLogGroupArn: null });
      const created = await ctx.aws.kms.send(
        new CreateKeyCommand({
          Description: intended.description,
          KeyUsage: 'ENCRYPT_DECRYPT',
          KeySpec: 'SYMMETRIC_DEFAULT',
          Policy: JSON.stringify(bootstrap),
          Tags: Object.entries(intended.tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
        }),
      );
      keyId = created.KeyMetadata?.KeyId as string;
      ctx.refs.keyId = keyId;
      ctx.refs.keyArn = created.KeyMetadata?.Arn as string;
    }
    const id = keyId as string;
    // A key made a moment ago may answer NotFoundException for seconds (KMS: eventual consistency).
    const kms = <T>(send: () => Promise<T>) => untilKeyVisible(ctx, send, 'KMS');
    if (fields.has('state') && live?.state === 'PendingDeletion') {
      await ctx.aws.kms.send(new CancelKeyDeletionCommand({ KeyId: id }));
    }
    if (fields.has('state')) await ctx.aws.kms.send(new EnableKeyCommand({ KeyId: id }));
    if (fields.has('alias')) await kms(() => ctx.aws.kms.send(new CreateAliasCommand({ AliasName: ctx.names.keyAlias, TargetKeyId: id })));
    if (fields.has('rotation')) await kms(() => ctx.aws.kms.send(new EnableKeyRotationCommand({ KeyId: id })));
    if (live && fields.has('description')) {
      await ctx.aws.kms.send(new UpdateKeyDescriptionCommand({ KeyId: id, Description: intended.description }));
    }
    if (live && fields.has('tags')) {
      await ctx.aws.kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: STACK_TAG_KEY, TagValue: ctx.config.stack }] }));
    }
  },
  describe: (ctx) => ({
    name: ctx.names.keyAlias,
    arn: ctx.refs.keyArn ?? KNOWN_AFTER_APPLY,
    keyId: ctx.refs.keyId ?? KNOWN_AFTER_APPLY,
  }),
};

/** The key policy's values that follow from the names alone (the key is made before the API). */
export function policyValuesFromNames(ctx: StackContext) {
  return {
    ...partitionValues(ctx.names),
    RoleArn: ctx.names.roleArn,
    BucketArn: ctx.names.bucketArn,
    ParameterArn: ctx.names.parameterArn,
    OperatorUserArn: ctx.names.operatorUserArn,
    FunctionLogGroupArn: ctx.names.functionLogGroupArn,
    ApiLogGroupArn: ctx.names.apiLogGroupArn,
  };
}

