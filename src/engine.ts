/**
 * Runs resources over their dependency graph: read every live state, plan, then apply in
 * dependency order with independent resources in parallel. Emits events; never prints.
 */
import { BridgeError, NotOursError, awsFailureText } from './errors.js';
import { scopedContexts } from './resources/facts.js';
import { KNOWN_AFTER_APPLY, isStackOwned, type AnyResource, type ChangeAction, type FieldChange, type StackContext, type TeardownOptions } from './resources/types.js';

export interface PlannedChange {
  resource: string;
  title: string;
  name: string;
  action: ChangeAction;
  changes: FieldChange[];
}

export type EngineEvent =
  | { type: 'read'; resource: string }
  | { type: 'apply-start'; change: PlannedChange }
  | { type: 'progress'; resource: string; message: string }
  | { type: 'apply-done'; change: PlannedChange }
  | { type: 'apply-failed'; change: PlannedChange; error: unknown }
  | { type: 'skipped'; change: PlannedChange; because: string };

export type EventSink = (event: EngineEvent) => void;

export interface EngineResult {
  changes: PlannedChange[];
  resources: Record<string, Record<string, string>>;
}

/** Topological order; throws on an unknown dependency or a cycle (a programming error). */
export function dependencyOrder(resources: readonly AnyResource[]): AnyResource[] {
  const byKind = new Map(resources.map((r) => [r.kind, r]));
  const ordered: AnyResource[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (resource: AnyResource) => {
    const seen = state.get(resource.kind);
    if (seen === 'done') return;
    if (seen === 'visiting') throw new Error(`dependency cycle at ${resource.kind}`);
    state.set(resource.kind, 'visiting');
    for (const dependency of resource.dependsOn) {
      const target = byKind.get(dependency);
      if (!target) throw new Error(`${resource.kind} depends on unknown ${dependency}`);
      visit(target);
    }
    state.set(resource.kind, 'done');
    ordered.push(resource);
  };
  resources.forEach(visit);
  return ordered;
}

/** Runs `work` for each resource once all its dependencies finished, independent ones in parallel. */
async function overGraph(
  resources: readonly AnyResource[],
  work: (resource: AnyResource) => Promise<void>,
  only?: ReadonlySet<string>,
): Promise<Map<string, unknown>> {
  const failures = new Map<string, unknown>();
  const finished = new Map<string, Promise<void>>();
  for (const resource of dependencyOrder(resources)) {
    const dependencies = resource.dependsOn.map((kind) => finished.get(kind) as Promise<void>);
    finished.set(
      resource.kind,
      Promise.all(dependencies).then(
        async () => {
          if (only && !only.has(resource.kind)) return;
          const failed = resource.dependsOn.filter((kind) => failures.has(kind));
          if (failed.length > 0) {
            failures.set(resource.kind, new SkippedError(failed));
            return;
          }
          try {
            await work(resource);
          } catch (error) {
            failures.set(resource.kind, error);
          }
        },
      ),
    );
  }
  await Promise.all(finished.values());
  return failures;
}

class SkippedError extends Error {
  constructor(readonly because: string[]) {
    super(`not attempted: ${because.join(', ')} failed`);
  }
}

/** The first real failure (not a skip), so the user sees the cause. */
function firstCause(failures: Map<string, unknown>): unknown {
  for (const error of failures.values()) if (!(error instanceof SkippedError)) return error;
  return failures.values().next().value;
}

export interface StackState {
  lives: Map<string, unknown>;
}

/** Reads every resource (dependencies first, so a read may use an earlier one's live state). */
export async function readStack(ctx: StackContext, resources: readonly AnyResource[], emit: EventSink = () => {}): Promise<StackState> {
  const lives = new Map<string, unknown>();
  const scoped = scopedContexts(ctx, resources);
  const failures = await overGraph(resources, async (resource) => {
    const live = await resource.read(scoped(resource), lives);
    lives.set(resource.kind, live);
    resource.learn?.(scoped(resource), live);
    emit({ type: 'read', resource: resource.kind });
  });
  if (failures.size > 0) throw firstCause(failures);
  return { lives };
}

/**
 * Reads every resource, keeping going past failures: the audit reports a read it could not make
 * as ERROR for the controls that need it, never as a pass.
 */
export async function readStackTolerant(ctx: StackContext, resources: readonly AnyResource[]): Promise<StackState & { errors: Map<string, unknown> }> {
  const lives = new Map<string, unknown>();
  const errors = new Map<string, unknown>();
  const scoped = scopedContexts(ctx, resources);
  await overGraph(resources, async (resource) => {
    try {
      const live = await resource.read(scoped(resource), lives);
      lives.set(resource.kind, live);
      resource.learn?.(scoped(resource), live);
    } catch (error) {
      errors.set(resource.kind, error);
    }
  });
  return { lives, errors };
}

/** `ctx` is the resource's own (scopedContexts): its view of the facts. */
function planOne(ctx: StackContext, resource: AnyResource, live: unknown): PlannedChange {
  const changes = resource.diff(live ?? null, resource.intended(ctx));
  // An absent resource that should stay absent (the API key outside api-key mode) is no change.
  const action: ChangeAction = changes.length === 0 ? 'noop' : live == null ? 'create' : 'update';
  return { resource: resource.kind, title: resource.title, name: resource.name(ctx), action, changes };
}

/** The plan for every resource, in dependency order, after the input checks that need live state. */
export function planStack(ctx: StackContext, resources: readonly AnyResource[], state: StackState, only?: ReadonlySet<string>, options: { checks?: boolean } = {}): PlannedChange[] {
  // The graph is the whole stack's; `only` (audit --fix) says which of it is checked and planned.
  const ordered = dependencyOrder(resources).filter((resource) => !only || only.has(resource.kind));
  const scoped = scopedContexts(ctx, resources);
  // status plans to say what differs, not to apply: a setup's input checks (the key it needs) do not apply.
  if (options.checks !== false) for (const resource of ordered) resource.check?.(scoped(resource), state.lives.get(resource.kind) ?? null, state.lives);
  return ordered.map((resource) => planOne(scoped(resource), resource, state.lives.get(resource.kind)));
}

function describeAll(ctx: StackContext, resources: readonly AnyResource[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  const scoped = scopedContexts(ctx, resources);
  for (const resource of dependencyOrder(resources)) {
    const description = resource.describe(scoped(resource));
    if (description) out[resource.kind] = description;
  }
  return out;
}

/**
 * Applies what differs. Each resource is planned again just before it is applied, because a
 * dependency created in this run (the key) now has the identifiers the plan could not know.
 */
export async function applyStack(
  ctx: StackContext,
  resources: readonly AnyResource[],
  state: StackState,
  emit: EventSink = () => {},
  /** Apply only these kinds (audit --fix); the rest are left as they are. */
  only?: ReadonlySet<string>,
): Promise<EngineResult> {
  const applied = new Map<string, PlannedChange>();
  const scoped = scopedContexts(ctx, resources);
  /** Parts the stack no longer wants (a `remove` change): taken away last, dependents first. */
  const removals: { resource: AnyResource; run: () => Promise<void> }[] = [];
  const failures = await overGraph(resources, async (resource) => {
    const resourceCtx: StackContext = { ...scoped(resource), progress: (message) => emit({ type: 'progress', resource: resource.kind, message }) };
    const live = state.lives.get(resource.kind) ?? null;
    const intended = resource.intended(resourceCtx);
    const planned = planOne(resourceCtx, resource, live);
    applied.set(resource.kind, planned);
    if (planned.action === 'noop') {
      emit({ type: 'apply-done', change: planned });
      return;
    }
    const run = async () => {
      emit({ type: 'apply-start', change: planned });
      try {
        await resource.apply(resourceCtx, live, intended, planned.changes);
      } catch (error) {
        emit({ type: 'apply-failed', change: planned, error });
        throw error;
      }
      emit({ type: 'apply-done', change: planned });
    };
    // A removal waits for the rest: what depends on the part (the schedule on its queue and role)
    // must go first, and the graph orders creation, not removal.
    if (planned.changes.some((c) => c.field === 'remove')) removals.push({ resource, run });
    else await run();
  }, only);
  if (failures.size === 0) {
    const order = dependencyOrder(resources).map((r) => r.kind);
    removals.sort((a, b) => order.indexOf(b.resource.kind) - order.indexOf(a.resource.kind));
    for (const removal of removals) {
      try {
        await removal.run();
      } catch (error) {
        failures.set(removal.resource.kind, error);
        break;
      }
    }
  }
  for (const [kind, error] of failures) {
    const change = applied.get(kind);
    if (error instanceof SkippedError) {
      const resource = resources.find((r) => r.kind === kind) as AnyResource;
      emit({
        type: 'skipped',
        change: change ?? { resource: kind, title: resource.title, name: resource.name(scoped(resource)), action: 'noop', changes: [] },
        because: error.message,
      });
    }
  }
  if (failures.size > 0) {
    const cause = firstCause(failures);
    if (cause instanceof BridgeError) throw cause;
    const kind = [...failures.entries()].find(([, e]) => e === cause)?.[0];
    const resource = resources.find((r) => r.kind === kind);
    const where = resource ? `${resource.title} ${resource.name(scoped(resource))}` : (kind ?? 'a resource');
    throw new BridgeError(`setup failed at ${where}: ${awsFailureText(cause)}. What was applied stays; run setup again to converge`);
  }
  const changes = dependencyOrder(resources)
    .filter((r) => applied.has(r.kind))
    .map((r) => applied.get(r.kind) as PlannedChange);
  return { changes, resources: describeAll(ctx, resources) };
}

export function planResult(ctx: StackContext, resources: readonly AnyResource[], changes: PlannedChange[]): EngineResult {
  return { changes, resources: describeAll(ctx, resources) };
}

// Teardown: the steps, then the walk that removes what the stack owns, in that order.

export interface TeardownStep {
  resource: AnyResource;
  name: string;
  live: unknown;
  action: 'remove' | 'retain' | 'absent';
  reason?: string;
}


/** What teardown will do, in reverse dependency order: pure once the state is read. */
export function planTeardown(ctx: StackContext, resources: readonly AnyResource[], lives: ReadonlyMap<string, unknown>, errors: ReadonlyMap<string, unknown>, options: TeardownOptions): TeardownStep[] {
  const steps: TeardownStep[] = [];
  const scoped = scopedContexts(ctx, resources);
  for (const resource of [...dependencyOrder(resources)].reverse()) {
    if (!isStackOwned(resource)) continue;
    const name = resource.name(scoped(resource));
    const error = errors.get(resource.kind);
    if (error instanceof NotOursError) {
      steps.push({ resource, name, live: null, action: 'retain', reason: 'not tagged for this stack: left alone' });
      continue;
    }
    if (error) throw error;
    const step = teardownStep(resource, name, lives.get(resource.kind) ?? null, options);
    // A resource named after another that is gone (the API's execution logs) has nothing to say.
    if (step && !(step.action === 'absent' && name.includes(KNOWN_AFTER_APPLY))) steps.push(step);
  }
  return steps;
}

/** One resource's step, from its pure retire(); null for a resource that is not the stack's own. */
export function teardownStep(resource: AnyResource, name: string, live: unknown, options: TeardownOptions): TeardownStep | null {
  if (!isStackOwned(resource)) return null;
  const retirement = resource.ownership.retire(live, options);
  return { resource, name, live, action: retirement.action, ...(retirement.action === 'retain' ? { reason: retirement.reason } : {}) };
}

export type TeardownEvent = { type: 'destroy-start'; step: TeardownStep } | { type: 'destroyed'; step: TeardownStep; note?: string };

/**
 * Removes every step marked remove, one at a time in the steps' order (dependents first). A failure
 * stops the walk naming the resource: what was removed stays removed, and a re-run finishes.
 */
export async function destroyStack(ctx: StackContext, steps: readonly TeardownStep[], options: TeardownOptions, emit: (event: TeardownEvent) => void = () => {}): Promise<{ step: TeardownStep; note?: string }[]> {
  const removed: { step: TeardownStep; note?: string }[] = [];
  for (const step of steps) {
    if (step.action !== 'remove') continue;
    emit({ type: 'destroy-start', step });
    let note: string | void = undefined;
    try {
      if (isStackOwned(step.resource)) note = await step.resource.ownership.destroy(ctx, step.live, options);
    } catch (error) {
      if (error instanceof BridgeError) throw error;
      throw new BridgeError(`teardown stopped at ${step.resource.title} ${step.name}: ${awsFailureText(error)}. What was removed stays removed; run teardown again to finish`);
    }
    emit({ type: 'destroyed', step, ...(note ? { note } : {}) });
    removed.push({ step, ...(note ? { note } : {}) });
  }
  return removed;
}
