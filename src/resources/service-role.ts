/**
 * An IAM role a service assumes for the stack (the function's execution role, Scheduler's role):
 * trusted by that one service in this account only, one inline policy with exactly the access its
 * job needs, no managed policies. One shape, so both are read, diffed, repaired and removed alike.
 */
import { CreateRoleCommand, DeleteRoleCommand, GetRoleCommand, TagRoleCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { NotOursError, unlessNotFound } from '../errors.js';
import { IAM_PATH } from '../names.js';
import { parsePolicy, type PolicyDocument } from '../policy.js';
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
import type { FieldChange, Resource, StackContext } from './types.js';

export interface RoleLive {
  arn: string;
  tags: Tags;
  trust: PolicyDocument | null;
  policies: PrincipalPolicies;
}

export interface RoleIntended {
  /** False where the stack has no use for the role (no schedule): a role left over is removed. */
  wanted: boolean;
  policyName: string;
  trust: PolicyDocument;
  policy: PolicyDocument;
  tags: Tags;
}

export function diffRole(live: RoleLive | null, intended: RoleIntended): FieldChange[] {
  if (!intended.wanted) return live ? [{ field: 'remove', before: 'role', after: 'none (nothing assumes it)' }] : [];
  if (!live) return [{ field: 'role' }, { field: 'trust-policy' }, { field: 'inline-policy' }, { field: 'tags' }];
  return [
    ...policyChange('trust-policy', live.trust, intended.trust),
    ...policyChange('inline-policy', live.policies.inline[intended.policyName], intended.policy),
    ...extraPoliciesChange('other-policies', live.policies, intended.policyName),
    ...tagsChange(live.tags, intended.tags),
  ];
}

export interface ServiceRoleSpec {
  kind: string;
  title: string;
  dependsOn: readonly string[];
  /** What the role does, for its description in IAM ("runs the ingest function"). */
  purpose: string;
  roleName(ctx: StackContext): string;
  roleArn(ctx: StackContext): string;
  policyName(ctx: StackContext): string;
  /** The trust and the inline policy, rendered from the templates. */
  documents(ctx: StackContext): { trust: PolicyDocument; policy: PolicyDocument };
  wanted?(ctx: StackContext): boolean;
}

async function readRole(ctx: StackContext, roleName: string): Promise<RoleLive | null> {
  const role = (await unlessNotFound(ctx.aws.iam.send(new GetRoleCommand({ RoleName: roleName }))))?.Role;
  if (!role) return null;
  const tags = tagRecord(role.Tags);
  if (!isOurs(tags, ctx.config.stack)) throw new NotOursError('IAM role', roleName, 'Choose another --stack.');
  return {
    arn: role.Arn as string,
    tags,
    trust: role.AssumeRolePolicyDocument ? parsePolicy(role.AssumeRolePolicyDocument) : null,
    policies: await readPrincipalPolicies(ctx.aws.iam, { kind: 'role', name: roleName }),
  };
}

async function deleteRole(ctx: StackContext, roleName: string, live: RoleLive): Promise<string | undefined> {
  const principal = { kind: 'role', name: roleName } as const;
  // A role goes only without policies: its own and any attached since.
  await removeExtraPolicies(ctx.aws.iam, principal, extraPolicies(live.policies, null));
  // IAM refuses to delete a role that is in an instance profile (DeleteConflict).
  const removed = await removeRoleFromInstanceProfiles(ctx.aws.iam, roleName);
  await ctx.aws.iam.send(new DeleteRoleCommand({ RoleName: roleName }));
  return removed.length > 0 ? removed.join(', ') : undefined;
}

export function serviceRole(spec: ServiceRoleSpec): Resource<RoleLive, RoleIntended> {
  return {
    kind: spec.kind,
    title: spec.title,
    dependsOn: spec.dependsOn,
    ownership: {
      of: 'stack',
      retire: (live) => (live ? { action: 'remove' } : { action: 'absent' }),
      destroy: (ctx, live) => deleteRole(ctx, spec.roleName(ctx), live),
    },
    name: (ctx) => spec.roleName(ctx),
    read: (ctx) => readRole(ctx, spec.roleName(ctx)),
    intended(ctx) {
      return { wanted: spec.wanted?.(ctx) ?? true, policyName: spec.policyName(ctx), ...spec.documents(ctx), tags: stackTags(ctx.config.stack) };
    },
    diff: diffRole,
    async apply(ctx, live, intended, changes) {
      const iam = ctx.aws.iam;
      const RoleName = spec.roleName(ctx);
      const fields = new Set(changes.map((c) => c.field));
      const principal = { kind: 'role', name: RoleName } as const;
      if (fields.has('remove')) {
        if (live) await deleteRole(ctx, RoleName, live);
        return;
      }
      if (!live) {
        await iam.send(
          new CreateRoleCommand({
            RoleName,
            Path: IAM_PATH,
            Description: `bridge stack ${ctx.config.stack}: ${spec.purpose}`,
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
    describe: (ctx) => ((spec.wanted?.(ctx) ?? true) ? { name: spec.roleName(ctx), arn: spec.roleArn(ctx), policy: spec.policyName(ctx) } : null),
  };
}
