/**
 * The operators: group S-operators-R holds a read-only policy for the stack; user S-operator-R is in
 * it and holds no policies of its own. An access key is made only on request, written to a 0600
 * file, never printed.
 */
import { writeSecretFile } from '../secret.js';
import { existsSync, readFileSync } from 'node:fs';
import {
  AddUserToGroupCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateUserCommand,
  DeleteGroupCommand,
  DeleteUserCommand,
  RemoveUserFromGroupCommand,
  GetGroupCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  ListGroupsForUserCommand,
  TagUserCommand,
} from '@aws-sdk/client-iam';
import { BridgeError, NotOursError, isNotFound, unlessNotFound } from '../errors.js';
import { KEY_FILE_MARK } from '../config.js';
import { IAM_PATH, apiArns, partitionValues } from '../names.js';
import type { PolicyDocument } from '../policy.js';
import { PROPAGATION, untilPropagated } from '../retry.js';
import { renderTemplate } from '../templates.js';
import {
  extraPolicies,
  extraPoliciesChange,
  policyChange,
  putInlinePolicy,
  readPrincipalPolicies,
  removeExtraPolicies,
  type PrincipalPolicies,
} from './iam-policies.js';
import { groupMembers, removeUserAttachments } from './iam-cleanup.js';
import { isOurs, stackTags, tagList, tagRecord, tagsChange, type Tags } from './tags.js';
import { KNOWN_AFTER_APPLY, liveFrom, type FieldChange, type Resource, type StackContext } from './types.js';

export interface AccessKeyInfo {
  id: string;
  status: string;
  created?: Date;
}

export interface OperatorsLive {
  /** members: every user in the group, the stack's operator user or not. */
  group: { arn: string; policies: PrincipalPolicies; members: string[] } | null;
  user: { arn: string; tags: Tags; policies: PrincipalPolicies; groups: string[]; accessKeys: AccessKeyInfo[] } | null;
  /** The access key id found in the requested key file, if that file exists. */
  keyFileAccessKeyId: string | null;
}

export interface OperatorsIntended {
  tags: Tags;
  group: string;
  keyFile: string | null;
}

/** The credentials-file profile bridge writes, usable with AWS_SHARED_CREDENTIALS_FILE. */
export function credentialsFileText(profile: string, accessKeyId: string, secretAccessKey: string): string {
  return `${KEY_FILE_MARK}${profile}. Keep it secret; delete it when done.\n[${profile}]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = ${secretAccessKey}\n`;
}

export function accessKeyIdInFile(text: string): string | null {
  return /^\s*aws_access_key_id\s*=\s*(\S+)\s*$/m.exec(text)?.[1] ?? null;
}

async function readGroup(ctx: StackContext): Promise<OperatorsLive['group']> {
  let group;
  let members: string[];
  try {
    const first = await ctx.aws.iam.send(new GetGroupCommand({ GroupName: ctx.names.operatorGroup }));
    group = first.Group;
    // A second page only for a group of more than 100 members.
    members = first.IsTruncated ? await groupMembers(ctx.aws.iam, ctx.names.operatorGroup) : (first.Users ?? []).map((u) => u.UserName as string);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
  if (!group) return null;
  // Groups cannot carry tags: bridge creates its group under the /bridge/ path, and that marks it.
  if (group.Path !== IAM_PATH) {
    throw new NotOursError('IAM group', ctx.names.operatorGroup, `It is not under the ${IAM_PATH} path bridge creates groups in. Choose another --stack.`);
  }
  return { arn: group.Arn as string, members, policies: await readPrincipalPolicies(ctx.aws.iam, { kind: 'group', name: ctx.names.operatorGroup }) };
}

async function readUser(ctx: StackContext): Promise<OperatorsLive['user']> {
  const UserName = ctx.names.operatorUser;
  const user = (await unlessNotFound(ctx.aws.iam.send(new GetUserCommand({ UserName }))))?.User;
  if (!user) return null;
  const tags = tagRecord(user.Tags);
  if (!isOurs(tags, ctx.config.stack)) throw new NotOursError('IAM user', UserName, 'Choose another --stack.');
  const [policies, groups, keys] = await Promise.all([
    readPrincipalPolicies(ctx.aws.iam, { kind: 'user', name: UserName }),
    ctx.aws.iam.send(new ListGroupsForUserCommand({ UserName })),
    ctx.aws.iam.send(new ListAccessKeysCommand({ UserName })),
  ]);
  return {
    arn: user.Arn as string,
    tags,
    policies,
    groups: (groups.Groups ?? []).map((g) => g.GroupName as string),
    accessKeys: (keys.AccessKeyMetadata ?? []).map((k) => ({ id: k.AccessKeyId as string, status: k.Status as string, created: k.CreateDate })),
  };
}

export async function readOperators(ctx: StackContext): Promise<OperatorsLive | null> {
  const [group, user] = await Promise.all([readGroup(ctx), readUser(ctx)]);
  const file = ctx.config.operatorAccessKeyFile;
  const keyFileAccessKeyId = file && existsSync(file) ? accessKeyIdInFile(readFileSync(file, 'utf8')) : null;
  if (!group && !user) return null;
  return { group, user, keyFileAccessKeyId };
}

/** Pure: the group's members that are not the stack's operator user (people someone added by hand). */
export function foreignMembers(live: OperatorsLive | null | undefined, operatorUser: string): string[] {
  return (live?.group?.members ?? []).filter((member) => member !== operatorUser);
}

export function operatorsIntended(ctx: StackContext): OperatorsIntended {
  return { tags: stackTags(ctx.config.stack), group: ctx.names.operatorGroup, keyFile: ctx.config.operatorAccessKeyFile ?? null };
}

function keyFileIsCurrent(live: OperatorsLive | null): boolean {
  const id = live?.keyFileAccessKeyId;
  return id !== null && id !== undefined && (live?.user?.accessKeys ?? []).some((k) => k.id === id && k.status === 'Active');
}

export function diffOperators(live: OperatorsLive | null, intended: OperatorsIntended): FieldChange[] {
  const changes: FieldChange[] = [];
  const group = live?.group;
  const user = live?.user;
  if (!group) changes.push({ field: 'group' });
  if (!user) changes.push({ field: 'user' }, { field: 'membership' });
  else {
    changes.push(...tagsChange(user.tags, intended.tags));
    if (!user.groups.includes(intended.group)) changes.push({ field: 'membership', after: `in ${intended.group}` });
    changes.push(...extraPoliciesChange('user-policies', user.policies, null));
  }
  if (intended.keyFile && !keyFileIsCurrent(live)) changes.push({ field: 'access-key', after: `new key written to ${intended.keyFile}` });
  return changes;
}

async function createAccessKey(ctx: StackContext, live: OperatorsLive | null, file: string): Promise<void> {
  const UserName = ctx.names.operatorUser;
  if ((live?.user?.accessKeys.length ?? 0) >= 2) {
    throw new BridgeError(
      `IAM user ${UserName} already has two access keys, the most IAM allows: delete one (aws iam delete-access-key --user-name ${UserName} --access-key-id ID) and run setup again`,
    );
  }
  const created = await ctx.aws.iam.send(new CreateAccessKeyCommand({ UserName }));
  const key = created.AccessKey;
  if (!key?.AccessKeyId || !key.SecretAccessKey) throw new BridgeError(`IAM returned no access key for ${UserName}`);
  writeSecretFile(file, credentialsFileText(UserName, key.AccessKeyId, key.SecretAccessKey));
}

export const operators: Resource<OperatorsLive, OperatorsIntended> = {
  kind: 'operators',
  title: 'IAM operators',
  dependsOn: ['kms-key'],
  ownership: {
    of: 'stack',
    retire: (live) => (live ? { action: 'remove' } : { action: 'absent' }),
    async destroy(ctx, live) {
      const iam = ctx.aws.iam;
      const UserName = ctx.names.operatorUser;
      const GroupName = ctx.names.operatorGroup;
      const removed: string[] = [];
      if (live.user) {
        // Whatever people gave the user since (a console password, MFA, keys...) goes with it.
        removed.push(...(await removeUserAttachments(iam, UserName)));
        await removeExtraPolicies(iam, { kind: 'user', name: UserName }, extraPolicies(live.user.policies, null));
        await iam.send(new DeleteUserCommand({ UserName }));
      }
      if (live.group) {
        // Anyone else put in the group leaves it: the group is the stack's.
        const others = await groupMembers(iam, GroupName);
        for (const member of others) await iam.send(new RemoveUserFromGroupCommand({ UserName: member, GroupName }));
        if (others.length > 0) removed.push(`${others.length} other member${others.length === 1 ? '' : 's'} taken out of the group (${others.join(', ')})`);
        await removeExtraPolicies(iam, { kind: 'group', name: GroupName }, extraPolicies(live.group.policies, null));
        await iam.send(new DeleteGroupCommand({ GroupName }));
      }
      return removed.length > 0 ? `removed with them: ${removed.join(', ')}` : undefined;
    },
  },
  name: (ctx) => `${ctx.names.operatorGroup} / ${ctx.names.operatorUser}`,
  read: (ctx) => readOperators(ctx),
  intended: operatorsIntended,
  diff: diffOperators,
  async apply(ctx, live, intended, changes) {
    const iam = ctx.aws.iam;
    const fields = new Set(changes.map((c) => c.field));
    const GroupName = ctx.names.operatorGroup;
    const UserName = ctx.names.operatorUser;
    if (fields.has('group')) await iam.send(new CreateGroupCommand({ GroupName, Path: IAM_PATH }));
    if (fields.has('user')) await iam.send(new CreateUserCommand({ UserName, Path: IAM_PATH, Tags: tagList(intended.tags) }));
    if (live?.user && fields.has('tags')) await iam.send(new TagUserCommand({ UserName, Tags: tagList(intended.tags) }));
    if (live?.user && fields.has('user-policies')) {
      await removeExtraPolicies(iam, { kind: 'user', name: UserName }, extraPolicies(live.user.policies, null));
    }
    if (fields.has('membership')) {
      // A user or group created a moment ago may not be visible to IAM's other endpoints yet.
      await untilPropagated(ctx, PROPAGATION.groupMembership, () => iam.send(new AddUserToGroupCommand({ GroupName, UserName })));
    }
    if (fields.has('access-key') && intended.keyFile) await createAccessKey(ctx, live, intended.keyFile);
  },
  describe: (ctx) => ({
    name: ctx.names.operatorGroup,
    arn: ctx.names.operatorGroupArn,
    user: ctx.names.operatorUser,
    userArn: ctx.names.operatorUserArn,
  }),
};

export interface OperatorsPolicyIntended {
  policyName: string;
  policy: PolicyDocument;
}

/**
 * The group's read-only policy, a resource of its own: it names the API's method, so it waits for
 * the API, while the group and user must exist before the key policy can name the user.
 */
export const operatorsPolicy: Resource<PrincipalPolicies, OperatorsPolicyIntended> = {
  kind: 'operators-policy',
  title: 'Operators policy',
  dependsOn: ['operators', 'api'],
  ownership: { of: 'part', partOf: 'operators' },
  name: (ctx) => `${ctx.names.operatorGroup} / ${ctx.names.operatorPolicyName}`,
  read: async (ctx, lives) => liveFrom(lives, operators)?.group?.policies ?? null,
  intended(ctx) {
    const n = ctx.names;
    return {
      policyName: n.operatorPolicyName,
      policy: renderTemplate('operators-policy', {
        ...partitionValues(n),
        BucketArn: n.bucketArn,
        DataPrefix: ctx.config.dataPrefix,
        KeyArn: ctx.refs.keyArn ?? KNOWN_AFTER_APPLY,
        Region: n.region,
        FunctionLogGroupArn: n.functionLogGroupArn,
        ApiLogGroupArn: n.apiLogGroupArn,
        ApiExecutionLogGroupArn: ctx.refs.apiId ? apiArns(n, ctx.refs.apiId).executionLogGroupArn : KNOWN_AFTER_APPLY,
        FunctionArn: n.functionArn,
        ApiInvokeArn: ctx.refs.apiId ? apiArns(n, ctx.refs.apiId).methodArn : KNOWN_AFTER_APPLY,
        // bridge invoke --via-api finds the API and its stage first (GetRestApis, GetStage).
        ApiId: ctx.refs.apiId ?? KNOWN_AFTER_APPLY,
      }),
    };
  },
  diff(live, intended) {
    if (!live) return [{ field: 'group-policy' }];
    return [
      ...policyChange('group-policy', live.inline[intended.policyName], intended.policy),
      ...extraPoliciesChange('group-other-policies', live, intended.policyName),
    ];
  },
  async apply(ctx, live, intended, changes) {
    const fields = new Set(changes.map((c) => c.field));
    const group = { kind: 'group', name: ctx.names.operatorGroup } as const;
    if (fields.has('group-policy')) await putInlinePolicy(ctx.aws.iam, group, intended.policyName, intended.policy);
    if (live && fields.has('group-other-policies')) await removeExtraPolicies(ctx.aws.iam, group, extraPolicies(live, intended.policyName));
  },
  describe: () => null,
};

