/**
 * IAM's condition operators, as the IAM User Guide's "IAM JSON policy elements: Condition
 * operators" page defines them, for the operators bridge's templates and the policies it judges
 * use. An operator this module does not know makes the statement "cannot judge": never a guess.
 * Pure.
 */
import { globMatches } from '../policy.js';

export type ContextValue = string | number | boolean | ReadonlyArray<string>;

/** The request's context keys; keys are case-insensitive, so they are looked up lower-cased. */
export type RequestContext = Readonly<Record<string, ContextValue>>;

export class CannotJudge extends Error {}

function values(value: ContextValue | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.map(String);
  return [String(value)];
}

function list(value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** One comparison of a request value with a policy value; null when the operator is unknown. */
function comparer(base: string): ((actual: string, wanted: string) => boolean) | null {
  const numeric = (f: (a: number, b: number) => boolean) => (a: string, b: string) => {
    const x = Number(a);
    const y = Number(b);
    return a.trim() !== '' && b.trim() !== '' && Number.isFinite(x) && Number.isFinite(y) && f(x, y);
  };
  switch (base) {
    case 'StringEquals':
      return (a, b) => a === b;
    case 'StringEqualsIgnoreCase':
      return (a, b) => a.toLowerCase() === b.toLowerCase();
    case 'StringLike':
      return (a, b) => globMatches(b, a, false);
    case 'ArnEquals':
    case 'ArnLike':
      // ARN operators match each of the six parts; a glob over the whole ARN is the same here,
      // as '*' in a part never has to cross a ':' in the ARNs bridge compares.
      return (a, b) => globMatches(b, a, false);
    case 'Bool':
      return (a, b) => a.toLowerCase() === b.toLowerCase();
    case 'NumericEquals':
      return numeric((x, y) => x === y);
    case 'NumericLessThan':
      return numeric((x, y) => x < y);
    case 'NumericLessThanEquals':
      return numeric((x, y) => x <= y);
    case 'NumericGreaterThan':
      return numeric((x, y) => x > y);
    case 'NumericGreaterThanEquals':
      return numeric((x, y) => x >= y);
    default:
      return null;
  }
}

const NEGATED: Record<string, string> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
  NumericNotEquals: 'NumericEquals',
};

/**
 * One operator over one key. The rules, from the Condition operators page: a key absent from the
 * request makes a condition false, but true for a negated operator and for ...IfExists; Null tests
 * presence; ForAnyValue is true when any request value matches, ForAllValues when every one does
 * (and so when there is none); with several policy values, one match is enough.
 */
export function conditionHolds(
  operator: string,
  key: string,
  policyValue: unknown,
  context: RequestContext,
  /** Whether the request's context says all there is of this key (else an absent key is unknown). */
  modelled: (key: string) => boolean = () => true,
): boolean {
  let op = operator;
  let set: 'any' | 'all' | null = null;
  if (op.startsWith('ForAnyValue:')) {
    set = 'any';
    op = op.slice('ForAnyValue:'.length);
  } else if (op.startsWith('ForAllValues:')) {
    set = 'all';
    op = op.slice('ForAllValues:'.length);
  }
  const ifExists = op.endsWith('IfExists');
  if (ifExists) op = op.slice(0, -'IfExists'.length);
  const actual = values(context[key.toLowerCase()]);
  if (actual === undefined && !modelled(key.toLowerCase())) throw new CannotJudge(`condition key ${key}, which the request does not model`);
  const wanted = list(policyValue);
  if (wanted.some((w) => /\$\{[^}]+\}/.test(w))) throw new CannotJudge(`policy variable in the condition on ${key}`);
  if (op === 'Null') {
    if (set || ifExists) throw new CannotJudge(`condition operator ${operator}`);
    const absent = actual === undefined;
    return wanted.some((w) => (w.toLowerCase() === 'true') === absent);
  }
  const negatedBase = NEGATED[op];
  const compare = comparer(negatedBase ?? op);
  if (!compare) throw new CannotJudge(`condition operator ${operator}`);
  if (actual === undefined) {
    if (ifExists) return true;
    if (set === 'all') return true;
    if (set === 'any') return false;
    return negatedBase !== undefined;
  }
  const matchesOne = (a: string) => wanted.some((w) => compare(a, w));
  if (negatedBase !== undefined) {
    // Negated: true when no request value matches any policy value.
    if (set === 'all') return actual.every((a) => !matchesOne(a));
    if (set === 'any') return actual.some((a) => !matchesOne(a));
    return !actual.some(matchesOne);
  }
  if (set === 'all') return actual.every(matchesOne);
  return actual.some(matchesOne);
}

/** Every operator and key of a Condition block holds (they are ANDed). */
export function conditionsHold(
  condition: Record<string, Record<string, unknown>> | undefined,
  context: RequestContext,
  modelled?: (key: string) => boolean,
): boolean {
  for (const [operator, block] of Object.entries(condition ?? {})) {
    for (const [key, value] of Object.entries(block ?? {})) {
      if (!conditionHolds(operator, key, value, context, modelled)) return false;
    }
  }
  return true;
}
