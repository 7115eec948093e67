import { describe, expect, it } from 'vitest';
import { RESOURCES_BY_KIND, STACK_RESOURCES, liveOf } from '../../src/resources/index.js';
import { isStackOwned } from '../../src/resources/types.js';

describe('the resource kinds', () => {
  it('are registered under their own kind, each resource once, the same set the engine walks', () => {
    for (const [kind, resource] of Object.entries(RESOURCES_BY_KIND)) expect(resource.kind).toBe(kind);
    expect(new Set(Object.values(RESOURCES_BY_KIND))).toEqual(new Set(STACK_RESOURCES));
    expect(Object.keys(RESOURCES_BY_KIND)).toHaveLength(STACK_RESOURCES.length);
  });

  it("each say whose they are: a part belongs to a resource the stack owns, and only the account's logging role is the account's", () => {
    const byKind = new Map(STACK_RESOURCES.map((r) => [r.kind, r]));
    const accounts: string[] = [];
    for (const resource of STACK_RESOURCES) {
      const { ownership } = resource;
      if (ownership.of === 'part') expect(byKind.get(ownership.partOf)?.ownership.of, `${resource.kind} is part of ${ownership.partOf}`).toBe('stack');
      if (ownership.of === 'account') accounts.push(resource.kind);
    }
    expect(accounts).toEqual(['api-account-logging']);
    expect(STACK_RESOURCES.filter(isStackOwned).map((r) => r.kind)).toContain('bucket');
  });

  it('give a kind live state or null, never undefined', () => {
    const lives = new Map<string, unknown>([['bucket', { tags: {} }]]);
    expect(liveOf(lives, 'bucket')).toEqual({ tags: {} });
    expect(liveOf(lives, 'kms-key')).toBeNull();
  });
});
