/**
 * Inline and attached policies of an IAM role, group or user: the same four calls in three
 * spellings, read and removed through one table.
 */
import {
  DeleteGroupPolicyCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetGroupPolicyCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { describeStatementDifference, diffStatements, parsePolicy, type PolicyDocument } from '../policy.js';
import type { FieldChange } from './types.js';

export type Principal = { kind: 'role' | 'group' | 'user'; name: string };

export interface PrincipalPolicies {
  inline: Record<string, PolicyDocument>;
  attached: string[];
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the three spellings differ only in their name field */
function nameField(p: Principal): Record<string, string> {
  return { [`${p.kind === 'role' ? 'Role' : p.kind === 'group' ? 'Group' : 'User'}Name`]: p.name };
}

const commands = {
  role: { list: ListRolePoliciesCommand, get: GetRolePolicyCommand, put: PutRolePolicyCommand, del: DeleteRolePolicyCommand, attached: ListAttachedRolePoliciesCommand, detach: DetachRolePolicyCommand },
  group: { list: ListGroupPoliciesCommand, get: GetGroupPolicyCommand, put: PutGroupPolicyCommand, del: DeleteGroupPolicyCommand, attached: ListAttachedGroupPoliciesCommand, detach: DetachGroupPolicyCommand },
  user: { list: ListUserPoliciesCommand, get: GetUserPolicyCommand, put: PutUserPolicyCommand, del: DeleteUserPolicyCommand, attached: ListAttachedUserPoliciesCommand, detach: DetachUserPolicyCommand },
} as const;

export async function readPrincipalPolicies(iam: IAMClient, principal: Principal): Promise<PrincipalPolicies> {
  const c = commands[principal.kind];
  const names: string[] = [];
  const attached: string[] = [];
  let marker: string | undefined;
  do {
    const page: any = await iam.send(new (c.list as any)({ ...nameField(principal), Marker: marker }));
    names.push(...(page.PolicyNames ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  do {
    const page: any = await iam.send(new (c.attached as any)({ ...nameField(principal), Marker: marker }));
    attached.push(...(page.AttachedPolicies ?? []).map((p: { PolicyArn: string }) => p.PolicyArn));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  const inline: Record<string, PolicyDocument> = {};
  await Promise.all(
    names.map(async (PolicyName) => {
      const result: any = await iam.send(new (c.get as any)({ ...nameField(principal), PolicyName }));
      inline[PolicyName] = parsePolicy(result.PolicyDocument as string);
    }),
  );
  return { inline, attached };
}

export async function putInlinePolicy(iam: IAMClient, principal: Principal, policyName: string, document: PolicyDocument): Promise<void> {
  await iam.send(new (commands[principal.kind].put as any)({ ...nameField(principal), PolicyName: policyName, PolicyDocument: JSON.stringify(document) }));
}

export async function deleteInlinePolicy(iam: IAMClient, principal: Principal, policyName: string): Promise<void> {
  await iam.send(new (commands[principal.kind].del as any)({ ...nameField(principal), PolicyName: policyName }));
}

export async function detachManagedPolicy(iam: IAMClient, principal: Principal, policyArn: string): Promise<void> {
  await iam.send(new (commands[principal.kind].detach as any)({ ...nameField(principal), PolicyArn: policyArn }));
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Everything a principal holds beyond the one inline policy it should have. */
export function extraPolicies(live: PrincipalPolicies, keep: string | null): { inline: string[]; attached: string[] } {
  return { inline: Object.keys(live.inline).filter((name) => name !== keep).sort(), attached: [...live.attached].sort() };
}

/** Removes the extras found by extraPolicies. */
export async function removeExtraPolicies(iam: IAMClient, principal: Principal, extra: { inline: string[]; attached: string[] }): Promise<void> {
  for (const name of extra.inline) await deleteInlinePolicy(iam, principal, name);
  for (const arn of extra.attached) await detachManagedPolicy(iam, principal, arn);
}

/** A policy document field change with its statement-level detail, or nothing. */
export function policyChange(field: string, live: PolicyDocument | null | undefined, intended: PolicyDocument): FieldChange[] {
  const difference = diffStatements(live ?? null, intended);
  if (difference.extra.length + difference.missing.length === 0) return [];
  return [{ field, details: describeStatementDifference(difference) }];
}

/** Inline policies under other names and attached managed policies: each is access nobody reviewed. */
export function extraPoliciesChange(field: string, live: PrincipalPolicies, keep: string | null): FieldChange[] {
  const extra = extraPolicies(live, keep);
  const details = [...extra.inline.map((name) => `- inline policy ${name}`), ...extra.attached.map((arn) => `- managed policy ${arn}`)];
  return details.length > 0 ? [{ field, details }] : [];
}
