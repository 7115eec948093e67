import { STACK_TAG_KEY } from '../names.js';
import type { FieldChange } from './types.js';

export type Tags = Record<string, string>;

export function stackTags(stack: string): Tags {
  return { [STACK_TAG_KEY]: stack };
}

export function isOurs(tags: Tags | null | undefined, stack: string): boolean {
  return tags?.[STACK_TAG_KEY] === stack;
}

/** Converts the AWS {Key, Value} lists (or {TagKey, TagValue}) into a record. */
export function tagRecord(list: ReadonlyArray<{ Key?: string; Value?: string; TagKey?: string; TagValue?: string }> | undefined): Tags {
  const tags: Tags = {};
  for (const tag of list ?? []) {
    const key = tag.Key ?? tag.TagKey;
    if (key !== undefined) tags[key] = tag.Value ?? tag.TagValue ?? '';
  }
  return tags;
}

export function tagList(tags: Tags): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** Our tags must be present with our values; other tags a user added are left alone. */
export function tagsChange(live: Tags | undefined, intended: Tags): FieldChange[] {
  const missing = Object.entries(intended).filter(([key, value]) => live?.[key] !== value);
  if (missing.length === 0) return [];
  return [{ field: 'tags', after: missing.map(([k, v]) => `${k}=${v}`).join(', ') }];
}
