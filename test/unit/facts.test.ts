import { describe, expect, it } from 'vitest';
import { STACK_FACTS, dependencyClosures, factsView } from '../../src/resources/facts.js';
import { STACK_RESOURCES } from '../../src/resources/index.js';
import type { AnyResource, StackRefs } from '../../src/resources/types.js';

const kind = (name: string, dependsOn: string[] = []) => ({ kind: name, dependsOn }) as unknown as AnyResource;

describe('the facts resources hand each other', () => {
  it('are each learned by a kind of the stack', () => {
    const kinds = new Set(STACK_RESOURCES.map((r) => r.kind));
    for (const [fact, { by }] of Object.entries(STACK_FACTS)) expect(kinds.has(by), `${fact} by ${by}`).toBe(true);
  });

  it('follow dependencies through other kinds', () => {
    const closures = dependencyClosures([kind('a'), kind('b', ['a']), kind('c', ['b'])]);
    expect([...(closures.get('c') ?? [])].sort()).toEqual(['a', 'b']);
    expect(closures.get('a')?.size).toBe(0);
  });

  it("are written only by the kind that learns them, into the one shared object", () => {
    const refs: StackRefs = {};
    factsView(refs, 'kms-key', new Set()).keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/k';
    expect(refs.keyArn).toBe('arn:aws:kms:eu-west-1:123456789012:key/k');
    expect(() => {
      factsView(refs, 'bucket', new Set(['kms-key'])).keyArn = 'arn:other';
    }).toThrow(/bucket sets the fact keyArn, which only kms-key learns/);
    expect(() => {
      (factsView(refs, 'bucket', new Set()) as Record<string, unknown>).bucketArn = 'x';
    }).toThrow(/no declared fact/);
    expect(refs.keyArn).toBe('arn:aws:kms:eu-west-1:123456789012:key/k');
  });

  it('made during apply are read only by dependents; learned from live state, by anyone', () => {
    const refs: StackRefs = { keyArn: 'arn:k', sourceUrl: 'https://source.example/data' };
    expect(factsView(refs, 'bucket', new Set(['kms-key'])).keyArn).toBe('arn:k');
    expect(() => factsView(refs, 'api', new Set(['rest-api'])).keyArn).toThrow(/api reads the fact keyArn, which kms-key makes, without depending on kms-key/);
    // The function learns the source from its live state before anything is planned.
    expect(factsView(refs, 'source-api-key', new Set(['kms-key'])).sourceUrl).toBe('https://source.example/data');
  });
});
