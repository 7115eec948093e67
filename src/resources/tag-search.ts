/**
 * The stack's resources of one type, found by the stack tag through the Resource Groups Tagging
 * API: one call a page, however many resources the region holds. Null where that API cannot
 * answer (the caller lacks tag:GetResources, or the service fails or throttles past its retries):
 * the caller then looks by name.
 */
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { awsErrorName, httpStatusOf } from '../errors.js';
import { STACK_TAG_KEY } from '../names.js';
import type { StackContext } from './types.js';

/** `type` as the API takes it: "service" or "service:resource-type" (e.g. "kms:key", "logs"); null for every type. */
export async function taggedArns(ctx: StackContext, type: string | null): Promise<string[] | null> {
  const arns: string[] = [];
  let PaginationToken: string | undefined;
  try {
    do {
      const page = await ctx.aws.tagging.send(
        new GetResourcesCommand({ TagFilters: [{ Key: STACK_TAG_KEY, Values: [ctx.config.stack] }], ...(type ? { ResourceTypeFilters: [type] } : {}), PaginationToken }),
      );
      arns.push(...(page.ResourceTagMappingList ?? []).map((m) => m.ResourceARN as string));
      PaginationToken = page.PaginationToken || undefined;
    } while (PaginationToken);
  } catch (error) {
    const status = httpStatusOf(error) ?? 0;
    if (['AccessDeniedException', 'ThrottlingException', 'ThrottledException'].includes(awsErrorName(error)) || status === 403 || status === 429 || status >= 500) return null;
    throw error;
  }
  return arns;
}
