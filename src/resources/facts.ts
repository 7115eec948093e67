/**
 * The facts resources hand each other through ctx.refs, each declared once with the one kind that
 * learns it and when: `live` facts come from live state only, so they are known to everyone before
 * anything is planned; `made` facts may also come into being when their kind is applied (a new
 * key's ARN), so only that kind's dependents may rely on them.
 *
 * The engine gives each resource a view of ctx.refs that holds it to this table: it writes only its
 * own facts, and reads a `made` fact only when it depends on the kind that makes it. A resource
 * that breaks the table fails the run at once, naming the fact, rather than reading a value that is
 * not there yet on some other run's order.
 */
import type { AnyResource, StackContext, StackRefs } from './types.js';

export const STACK_FACTS = {
  keyArn: { by: 'kms-key', when: 'made' },
  keyId: { by: 'kms-key', when: 'made' },
  sourceUrl: { by: 'function', when: 'live' },
  keyPlacement: { by: 'function', when: 'live' },
  apiId: { by: 'rest-api', when: 'made' },
  apiRootResourceId: { by: 'rest-api', when: 'made' },
  apiAuth: { by: 'api', when: 'live' },
  scheduleExpression: { by: 'schedule', when: 'live' },
  accountLoggingRole: { by: 'api-account-logging', when: 'made' },
} as const satisfies Record<keyof StackRefs, { by: string; when: 'live' | 'made' }>;

type Fact = keyof typeof STACK_FACTS;

const isFact = (property: string | symbol): property is Fact => typeof property === 'string' && Object.hasOwn(STACK_FACTS, property);

/** Each kind and every kind it depends on, directly or through another. */
export function dependencyClosures(resources: readonly AnyResource[]): Map<string, ReadonlySet<string>> {
  const byKind = new Map(resources.map((r) => [r.kind, r]));
  const closures = new Map<string, Set<string>>();
  const closureOf = (kind: string): Set<string> => {
    const known = closures.get(kind);
    if (known) return known;
    const closure = new Set<string>();
    closures.set(kind, closure);
    for (const dependency of byKind.get(kind)?.dependsOn ?? []) {
      closure.add(dependency);
      for (const further of closureOf(dependency)) closure.add(further);
    }
    return closure;
  };
  for (const resource of resources) closureOf(resource.kind);
  return closures;
}

/**
 * What each resource of `resources` runs with: the context, its refs seen through factsView.
 * One view per kind, made when first asked for.
 */
export function scopedContexts(ctx: StackContext, resources: readonly AnyResource[]): (resource: AnyResource) => StackContext {
  const closures = dependencyClosures(resources);
  const scoped = new Map<string, StackContext>();
  return (resource) => {
    let one = scoped.get(resource.kind);
    if (!one) {
      one = { ...ctx, refs: factsView(ctx.refs, resource.kind, closures.get(resource.kind) ?? new Set()) };
      scoped.set(resource.kind, one);
    }
    return one;
  };
}

/** The refs as `kind` may see them: the same object underneath, held to STACK_FACTS. */
export function factsView(refs: StackRefs, kind: string, dependsOn: ReadonlySet<string>): StackRefs {
  return new Proxy(refs, {
    get(target, property) {
      if (isFact(property)) {
        const { by, when } = STACK_FACTS[property];
        if (by !== kind && when === 'made' && !dependsOn.has(by)) {
          throw new Error(`internal error: ${kind} reads the fact ${property}, which ${by} makes, without depending on ${by} (src/resources/facts.ts)`);
        }
      }
      return Reflect.get(target, property);
    },
    set(target, property, value) {
      if (isFact(property) && STACK_FACTS[property].by !== kind) {
        throw new Error(`internal error: ${kind} sets the fact ${property}, which only ${STACK_FACTS[property].by} learns (src/resources/facts.ts)`);
      }
      if (!isFact(property)) throw new Error(`internal error: ${kind} sets ${String(property)}, which is no declared fact (src/resources/facts.ts)`);
      return Reflect.set(target, property, value);
    },
  });
}
