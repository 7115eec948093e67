/**
 * The stack's resources, found by the stack tag through the Resource Groups Tagging API: one call a
 * page, however many resources the region holds. Null where that API cannot answer (the caller
 * lacks tag:GetResources, or the service fails or throttles past its retries): the caller then
 * looks by name.
 *
 * setup and audit read it once a run (the tag index) and take each resource's tags from it, so a
 * resource listed there needs no tag read of its own. Only a positive answer is trusted: a
 * resource the index does not list (just created, untagged, or tagged for another stack) is asked
 * directly, as the index lags behind tag changes (AWS lists "tagged or previously tagged"
 * resources, and a removed tag can linger there for minutes). Before setup changes anything, each
 * tag the index stood in for is read directly (indexStillTrue), and a run that finds one changed
 * reads the stack again without the index. teardown, which deletes, never uses it.
 */
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { awsErrorName, httpStatusOf } from '../errors.js';
import { STACK_TAG_KEY } from '../names.js';
import { tagRecord, type Tags } from './tags.js';
import type { StackContext } from './types.js';

/** ARN -> tags of every resource tagged for the stack; log-group ARNs without DescribeLogGroups' ':*'. */
export type TagIndex = ReadonlyMap<string, Tags>;

const normalArn = (arn: string) => arn.replace(/:\*$/, '');

async function readTagIndex(ctx: StackContext): Promise<TagIndex | null> {
  const index = new Map<string, Tags>();
  let PaginationToken: string | undefined;
  try {
    do {
      const page = await ctx.aws.tagging.send(new GetResourcesCommand({ TagFilters: [{ Key: STACK_TAG_KEY, Values: [ctx.config.stack] }], PaginationToken }));
      for (const mapping of page.ResourceTagMappingList ?? []) index.set(normalArn(mapping.ResourceARN as string), tagRecord(mapping.Tags));
      PaginationToken = page.PaginationToken || undefined;
    } while (PaginationToken);
  } catch (error) {
    const status = httpStatusOf(error) ?? 0;
    if (['AccessDeniedException', 'ThrottlingException', 'ThrottledException'].includes(awsErrorName(error)) || status === 403 || status === 429 || status >= 500) return null;
    throw error;
  }
  return index;
}

/** Lets this run's reads share one tag index (setup, audit); started at once so it overlaps the first reads. */
export function useTagIndex(ctx: StackContext): void {
  const answer = readTagIndex(ctx);
  // Whoever asks first sees a failure; an unasked index must not become an unhandled rejection.
  answer.catch(() => {});
  ctx.tagIndex = { answer, served: [] };
}

/** Reads directly every tag the index stood in for: false when one is not the stack's any more. */
export async function indexStillTrue(ctx: StackContext): Promise<boolean> {
  const served = ctx.tagIndex?.served ?? [];
  const answers = await Promise.all(served.map(({ readDirectly }) => readDirectly().then((tags) => tags[STACK_TAG_KEY] === ctx.config.stack, () => false)));
  return answers.every(Boolean);
}

/** Does the ARN's service (and resource type, if given) match `type` ("kms:key", "logs")? */
function ofType(arn: string, type: string): boolean {
  const [service, resourceType] = type.split(':');
  const parts = arn.split(':');
  if (parts[2] !== service) return false;
  if (!resourceType) return true;
  const resource = parts.slice(5).join(':');
  return service === 's3' ? resourceType === 'bucket' && !resource.includes('/') : resource.startsWith(`${resourceType}/`) || resource.startsWith(`${resourceType}:`);
}

/** `type` as the API takes it: "service" or "service:resource-type" (e.g. "kms:key", "logs"); null for every type. */
export async function taggedArns(ctx: StackContext, type: string | null): Promise<string[] | null> {
  const index = ctx.tagIndex ? await ctx.tagIndex.answer : await readTagIndex(ctx);
  if (!index) return null;
  const arns = [...index.keys()];
  return type ? arns.filter((arn) => ofType(arn, type)) : arns;
}

/** A resource's tags: from the run's tag index where it lists the resource, else read directly. */
export async function tagsOf(ctx: StackContext, arn: string, readDirectly: () => Promise<Tags>): Promise<Tags> {
  const index = ctx.tagIndex ? await ctx.tagIndex.answer.catch(() => null) : null;
  const listed = index?.get(normalArn(arn));
  if (!listed) return readDirectly();
  ctx.tagIndex?.served.push({ arn, readDirectly });
  return listed;
}
