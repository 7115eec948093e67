import { describe, expect, it } from 'vitest';
import { RESOURCES_BY_KIND, STACK_RESOURCES, liveOf } from '../../src/resources/index.js';

describe('the resource kinds', () => {
  it('are registered under their own kind, each resource once, the same set the engine walks', () => {
    for (const [kind, resource] of Object.entries(RESOURCES_BY_KIND)) expect(resource.kind).toBe(kind);
    expect(new Set(Object.values(RESOURCES_BY_KIND))).toEqual(new Set(STACK_RESOURCES));
    expect(Object.keys(RESOURCES_BY_KIND)).toHaveLength(STACK_RESOURCES.length);
  });

  it('give a kind live state or null, never undefined', () => {
    const lives = new Map<string, unknown>([['bucket', { tags: {} }]]);
    expect(liveOf(lives, 'bucket')).toEqual({ tags: {} });
    expect(liveOf(lives, 'kms-key')).toBeNull();
  });
});
