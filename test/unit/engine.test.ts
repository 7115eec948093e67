/** The engine with in-memory resources: order, parallelism, re-planning, and what a failure leaves. */
import { describe, expect, it } from 'vitest';
import { applyStack, dependencyOrder, destroyStack, planStack, planTeardown, readStack, type EngineEvent } from '../../src/engine.js';
import { BridgeError, UsageError } from '../../src/errors.js';
import type { AnyResource, StackContext } from '../../src/resources/types.js';

type World = Map<string, number>;

/** A resource whose live state is a number in `world`; intended is 1 (or its dependency's value + 1). */
function fake(kind: string, dependsOn: string[], world: World, log: string[], options: { fail?: boolean; delay?: number } = {}): AnyResource {
  return {
    kind,
    title: kind,
    dependsOn,
    // Not the stack's own unless a test says so (owned() below): teardown passes it by.
    ownership: { of: 'account' },
    name: () => kind,
    read: async () => (world.has(kind) ? (world.get(kind) as number) : null),
    intended: () => (dependsOn.length ? Math.max(...dependsOn.map((d) => world.get(d) ?? 0)) + 1 : 1),
    diff: (live: number | null, intended: number) => (live === intended ? [] : [{ field: 'value', before: String(live), after: String(intended) }]),
    async apply(_ctx, _live, intended: number) {
      log.push(`start ${kind}`);
      await new Promise((r) => setTimeout(r, options.delay ?? 1));
      if (options.fail) throw new Error(`${kind} broke`);
      world.set(kind, intended);
      log.push(`end ${kind}`);
    },
    describe: () => ({ name: kind }),
  };
}

const ctx = { refs: {}, progress: () => {} } as unknown as StackContext;

describe('engine', () => {
  it('orders by dependencies and refuses cycles', () => {
    const world: World = new Map();
    const a = fake('a', [], world, []);
    const b = fake('b', ['a'], world, []);
    expect(dependencyOrder([b, a]).map((r) => r.kind)).toEqual(['a', 'b']);
    expect(() => dependencyOrder([fake('x', ['y'], world, []), fake('y', ['x'], world, [])])).toThrow(/cycle/);
  });

  it('runs independent resources in parallel, dependents after, and re-plans with what was created', async () => {
    const world: World = new Map();
    const log: string[] = [];
    const resources = [fake('key', [], world, log), fake('bucket', ['key'], world, log, { delay: 20 }), fake('role', ['key'], world, log, { delay: 20 }), fake('policy', ['bucket', 'role'], world, log)];
    const state = await readStack(ctx, resources);
    const plan = planStack(ctx, resources, state);
    expect(plan.map((p) => p.action)).toEqual(['create', 'create', 'create', 'create']);
    const result = await applyStack(ctx, resources, state);
    expect(log.slice(0, 3)).toEqual(['start key', 'end key', 'start bucket']);
    expect(log[3]).toBe('start role'); // both started before either ended
    expect(log.at(-1)).toBe('end policy');
    // bucket's intended value was computed after key existed: 1 + 1.
    expect(world.get('bucket')).toBe(2);
    expect(world.get('policy')).toBe(3);
    expect(result.changes.map((c) => c.resource)).toEqual(['key', 'bucket', 'role', 'policy']);
    // A second pass has nothing to do.
    const again = planStack(ctx, resources, await readStack(ctx, resources));
    expect(again.every((p) => p.action === 'noop')).toBe(true);
  });

  it('on a failure: finishes what runs, skips dependents, and says a re-run converges', async () => {
    const world: World = new Map();
    const log: string[] = [];
    const events: EngineEvent[] = [];
    const resources = [fake('key', [], world, log), fake('bucket', ['key'], world, log, { fail: true }), fake('role', ['key'], world, log), fake('policy', ['bucket', 'role'], world, log)];
    const state = await readStack(ctx, resources);
    const error = await applyStack(ctx, resources, state, (e) => events.push(e)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as Error).message).toMatch(/setup failed at bucket bucket: bucket broke.*run setup again to converge/);
    expect(world.has('role')).toBe(true);
    expect(world.has('policy')).toBe(false);
    expect(events.find((e) => e.type === 'skipped')).toMatchObject({ change: { resource: 'policy' } });
  });

  it('passes a BridgeError through unchanged (its exit code is the contract)', async () => {
    const world: World = new Map();
    const broken = { ...fake('a', [], world, []), apply: async () => Promise.reject(new UsageError('bucket name taken: use --bucket')) };
    const error = await applyStack(ctx, [broken], await readStack(ctx, [broken])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
  });
});

describe('parts the stack no longer wants', () => {
  it('are removed after everything else, dependents first (the schedule before its queue and role)', async () => {
    const log: string[] = [];
    const world: World = new Map([['queue', 1], ['role', 1], ['schedule', 2]]);
    const removable = (kind: string, dependsOn: string[]): AnyResource => ({
      ...fake(kind, dependsOn, world, log),
      intended: () => null,
      diff: (live: number | null) => (live === null ? [] : [{ field: 'remove', before: String(live), after: 'none' }]),
      async apply() {
        log.push(`remove ${kind}`);
        world.delete(kind);
      },
    });
    const key = fake('key', [], world, log);
    const resources = [key, removable('queue', ['key']), removable('role', ['key']), removable('schedule', ['queue', 'role'])];
    const state = await readStack(ctx, resources);
    await applyStack(ctx, resources, state);
    expect(log.filter((l) => l.startsWith('remove'))).toEqual(['remove schedule', 'remove role', 'remove queue']);
    // What stays is applied first: the key's create ends before any removal starts.
    expect(log.indexOf('end key')).toBeLessThan(log.indexOf('remove schedule'));
  });
});

describe("teardown's plan and walk", () => {
  /** A resource the stack owns: retire says remove while it exists, destroy takes it out of `world`. */
  function owned(kind: string, dependsOn: string[], world: World, log: string[], fail = false): AnyResource {
    const resource = fake(kind, dependsOn, world, log);
    resource.ownership = {
      of: 'stack',
      retire: (live) => (live === null ? { action: 'absent' } : { action: 'remove' }),
      async destroy() {
        if (fail) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
        world.delete(kind);
        log.push(`removed ${kind}`);
        return kind === 'c' ? 'with a note' : undefined;
      },
    };
    return resource;
  }

  it('removes dependents first, says which went, and a failure stops the walk naming the resource while what went stays gone', async () => {
    const world: World = new Map([['a', 1], ['b', 2], ['c', 3]]);
    const log: string[] = [];
    const resources = [owned('a', [], world, log), owned('b', ['a'], world, log, true), owned('c', ['b'], world, log)];
    const options = { deleteData: false, keyDeletionDays: 30, bucketVersions: 0 };
    const steps = planTeardown(ctx, resources, new Map([['a', 1], ['b', 2], ['c', 3]]), new Map(), options);
    expect(steps.map((s) => `${s.action} ${s.name}`)).toEqual(['remove c', 'remove b', 'remove a']);
    const events: string[] = [];
    const failure = await destroyStack(ctx, steps, options, (e) => events.push(`${e.type} ${e.step.name}`)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BridgeError);
    expect((failure as Error).message).toBe('teardown stopped at b b: ThrottlingException: Rate exceeded. What was removed stays removed; run teardown again to finish');
    expect(events).toEqual(['destroy-start c', 'destroyed c', 'destroy-start b']);
    expect([...world.keys()]).toEqual(['a', 'b']);
    // A re-run plans only what is left, and finishes.
    const again = planTeardown(ctx, [owned('a', [], world, log), owned('b', ['a'], world, log), owned('c', ['b'], world, log)], world, new Map(), options);
    expect(again.map((s) => `${s.action} ${s.name}`)).toEqual(['absent c', 'remove b', 'remove a']);
    const removed = await destroyStack(ctx, again, options);
    expect(removed.map((r) => r.step.name)).toEqual(['b', 'a']);
    expect(world.size).toBe(0);
  });
});
