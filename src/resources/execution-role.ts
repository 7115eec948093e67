/**
 * The function's execution role: trusted by Lambda in this account only, one inline policy with
 * exactly the access ingestion needs, no managed policies.
 */
import { CreateRoleCommand, DeleteRoleCommand, GetRoleCommand, TagRoleCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { NotOursError, unlessNotFound } from '../errors.js';
import { IAM_PATH, partitionValues } from '../names.js';
import { parsePolicy, type PolicyDocument } from '../policy.js';
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
import { removeRoleFromInstanceProfiles } from './iam-cleanup.js';
import { isOurs, stackTags, tagList, tagRecord, tagsChange, type Tags } from './tags.js';
import { KNOWN_AFTER_APPLY, type FieldChange, type Resource, type StackContext } from './types.js';

export interface RoleLive {
  arn: string;
  tags: Tags;
  trust: PolicyDocument | null;
  policies: PrincipalPolicies;
}

export interface RoleIntended {
  policyName: string;
  trust: PolicyDocument;
  policy: PolicyDocument;
  tags: Tags;
}

export async function readRole(ctx: StackContext): Promise<RoleLive | null> {
  const role = (await unlessNotFound(ctx.aws.iam.send(new GetRoleCommand({ RoleName: ctx.names.roleName }))))?.Role;
  if (!role) return null;
  const tags = tagRecord(role.Tags);
  if (!isOurs(tags, ctx.config.stack)) {
    throw new NotOursError('IAM role', ctx.names.roleName, 'Choose another --stack.');
  }
  const policies = await readPrincipalPolicies(ctx.aws.iam, { kind: 'role', name: ctx.names.roleName });
  return {
    arn: role.Arn as string,
    tags,
    trust: role.AssumeRolePolicyDocument ? parsePolicy(role.AssumeRolePolicyDocument) : null,
    policies,
  };
}

export function roleIntended(ctx: StackContext): RoleIntended {
  const n = ctx.names;
  return {
    policyName: n.rolePolicyName,
    trust: renderTemplate('execution-role-trust', partitionValues(n)),
    policy: renderTemplate('execution-role-policy', {
      ...partitionValues(n),
      BucketArn: n.bucketArn,
      DataPrefix: ctx.config.dataPrefix,
      KeyArn: ctx.refs.keyArn ?? KNOWN_AFTER_APPLY,
      Region: n.region,
      ParameterArn: n.parameterArn,
      FunctionLogGroupArn: n.functionLogGroupArn,
    }),
    tags: stackTags(ctx.config.stack),
  };
}

export function diffRole(live: RoleLive | null, intended: RoleIntended): FieldChange[] {
  if (!live) return [{ field: 'role' }, { field: 'trust-policy' }, { field: 'inline-policy' }, { field: 'tags' }];
  return [
    ...policyChange('trust-policy', live.trust, intended.trust),
    ...policyChange('inline-policy', live.policies.inline[intended.policyName], intended.policy),
    ...extraPoliciesChange('other-policies', live.policies, intended.policyName),
    ...tagsChange(live.tags, intended.tags),
  ];
}

export const executionRole: Resource<RoleLive, RoleIntended> = {
  kind: 'execution-role',
  title: 'IAM execution role',
  dependsOn: ['kms-key'],
  ownership: {
    of: 'stack',
    retire: (live) => (live ? { action: 'remove' } : { action: 'absent' }),
    async destroy(ctx, live) {
      const principal = { kind: 'role', name: ctx.names.roleName } as const;
      // A role goes only without policies: its own and any attached since.
      await removeExtraPolicies(ctx.aws.iam, principal, extraPolicies(live.policies, null));
      // IAM refuses to delete a role that is in an instance profile (DeleteConflict).
      const removed = await removeRoleFromInstanceProfiles(ctx.aws.iam, ctx.names.roleName);
      await ctx.aws.iam.send(new DeleteRoleCommand({ RoleName: ctx.names.roleName }));
      return removed.length > 0 ? removed.join(', ') : undefined;
    },
  },
  name: (ctx) => ctx.names.roleName,
  read: (ctx) => readRole(ctx),
  intended: roleIntended,
  diff: diffRole,
  async apply(ctx, live, intended, changes) {
    const iam = ctx.aws.iam;
    const RoleName = ctx.names.roleName;
    const fields = new Set(changes.map((c) => c.field));
    const principal = { kind: 'role', name: RoleName } as const;
    if (!live) {
      await iam.send(
        new CreateRoleCommand({
          RoleName,
          Path: IAM_PATH,
          Description: `bridge stack ${ctx.config.stack}: runs the ingest function`,
          AssumeRolePolicyDocument: JSON.stringify(intended.trust),
          MaxSessionDuration: 3600,
          Tags: tagList(intended.tags),
        }),
      );
    } else if (fields.has('trust-policy')) {
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: JSON.stringify(intended.trust) }));
    }
    if (fields.has('inline-policy')) await putInlinePolicy(iam, principal, intended.policyName, intended.policy);
    if (live && fields.has('other-policies')) await removeExtraPolicies(iam, principal, extraPolicies(live.policies, intended.policyName));
    if (live && fields.has('tags')) await iam.send(new TagRoleCommand({ RoleName, Tags: tagList(intended.tags) }));
  },
  describe: (ctx) => ({ name: ctx.names.roleName, arn: ctx.names.roleArn, policy: ctx.names.rolePolicyName }),
};

