/**
 * The one shape every resource kind has (docs/architecture.md): read live state, say what it should be,
 * diff the two (pure), apply the differences. setup, --dry-run, audit and teardown all use it.
 */
import type { AwsClients } from '../aws.js';
import type { StackConfig } from '../config.js';
import type { StackNames } from '../names.js';
import type { Bundle } from '../bundle.js';
import type { ApiAuth, KeyPlacement } from '../config.js';
import type { Secret } from '../secret.js';
import type { Clock } from '../retry.js';

/** Facts learned while running that later resources need (the key's ARN once it exists). */
export interface StackRefs {
  keyArn?: string;
  keyId?: string;
  /** The deployed function's source settings, kept when this run gives none. */
  sourceUrl?: string;
  keyPlacement?: KeyPlacement;
  /** The REST API's id and root resource, once it exists. */
  apiId?: string;
  apiRootResourceId?: string;
  /** How the deployed method is protected, kept when this run gives none. */
  apiAuth?: ApiAuth;
  /** The deployed schedule's expression, kept when this run gives none. */
  scheduleExpression?: string;
  /** API Gateway's account-wide CloudWatch role, when set: logging needs it. */
  accountLoggingRole?: string;
}

/** What only this run supplies: the source API key and where to write an access key. */
export interface SetupInputs {
  apiKey?: Secret;
  /** The function's deployment package, built once before planning. */
  bundle?: Bundle;
  /** --keep-source-key: send the stored key to a source on another host. */
  keepSourceKey?: boolean;
}

export interface StackContext {
  config: StackConfig;
  names: StackNames;
  aws: AwsClients;
  refs: StackRefs;
  inputs: SetupInputs;
  /** Progress for the resource being applied ("waiting for IAM to propagate, attempt 2"). */
  progress: (message: string) => void;
  /** What every propagation wait runs on (src/retry.ts): the system's clock, or a test's fake one. */
  clock: Clock;
  /** Things the user should know once, found while planning ("execution logging is off because..."). */
  notes: string[];
  /**
   * Set by useTagIndex (resources/tag-search.ts): this run's one answer of the tagging API (ARN ->
   * tags), and the tags it stood in for, to be read directly before any change is made.
   */
  tagIndex?: {
    answer: Promise<ReadonlyMap<string, Record<string, string>> | null>;
    served: { arn: string; readDirectly: () => Promise<Record<string, string>> }[];
  };
}

export { KNOWN_AFTER_APPLY } from '../names.js';

/** One differing field: its name (the JSON contract), and for people the before/after or details. */
export interface FieldChange {
  field: string;
  before?: string;
  after?: string;
  details?: string[];
}

export type ChangeAction = 'create' | 'update' | 'noop';

/** One setting that differs, before and after as people read them (null: 'none'); nothing when equal. */
export function settingChange(field: string, before: string | number | null, after: string | number | null): FieldChange[] {
  return before === after ? [] : [{ field, before: before === null ? 'none' : String(before), after: after === null ? 'none' : String(after) }];
}

export interface Resource<Live = unknown, Intended = unknown> {
  /** Stable id used in JSON output and dependencies, e.g. "bucket". */
  kind: string;
  /** For people: "S3 bucket". */
  title: string;
  dependsOn: readonly string[];
  name(ctx: StackContext): string;
  /** Live state, or null when absent. Throws NotOursError for a same-named resource without our tag. */
  read(ctx: StackContext, lives: ReadonlyMap<string, unknown>): Promise<Live | null>;
  /** Learns refs (the key ARN) from live state, before anything is planned. */
  learn?(ctx: StackContext, live: Live | null): void;
  /** Input checks that depend on live state (the first setup needs the API key). Throws UsageError. */
  check?(ctx: StackContext, live: Live | null, lives: ReadonlyMap<string, unknown>): void;
  intended(ctx: StackContext): Intended;
  /** Pure: what differs. For an absent resource, the fields a create will set. */
  diff(live: Live | null, intended: Intended): FieldChange[];
  /** Makes the differences so; idempotent; keeps ctx.refs up to date. */
  apply(ctx: StackContext, live: Live | null, intended: Intended, changes: FieldChange[]): Promise<void>;
  /** Name, ARN and other identifiers for the output; null when it has none of its own. */
  describe(ctx: StackContext): Record<string, string> | null;
  /** Whose it is: what teardown does with it, and what the audit counts as the stack's. */
  ownership: Ownership<Live>;
}

/**
 * - stack: created and tagged by this stack; teardown retires it (removes it, or keeps it as data).
 * - part: a setting of another of the stack's resources (the key's policy, the API's methods): it
 *   goes with that one and has no step of its own.
 * - account: an account-wide setting every stack shares; no teardown removes it.
 */
export type Ownership<Live> = ({ of: 'stack' } & Retirable<Live>) | { of: 'part'; partOf: string } | { of: 'account' };

/** The resources the stack itself owns, which teardown walks. */
export function isStackOwned(resource: AnyResource): resource is AnyResource & { ownership: { of: 'stack' } & Retirable<unknown> } {
  return resource.ownership.of === 'stack';
}

export interface TeardownOptions {
  deleteData: boolean;
  /** KMS waiting period before the key is deleted (7-30). */
  keyDeletionDays: number;
  /**
   * Object versions and delete markers in the bucket (data to keep unless --delete-data). With
   * --delete-data, only whether there are any (0 or 1): emptying the bucket counts them as it goes,
   * so they are not listed twice.
   */
  bucketVersions: number;
}

/** What teardown does with a resource the stack owns: pure, from its live state. */
export type Retirement = { action: 'remove' } | { action: 'retain'; reason: string } | { action: 'absent' };

export interface Retirable<Live> {
  retire(live: Live | null, options: TeardownOptions): Retirement;
  /** Removes it; returns a note for the output (e.g. when a key's deletion takes effect). */
  destroy(ctx: StackContext, live: Live, options: TeardownOptions): Promise<string | void>;
}

/**
 * A resource's live state from what the engine read (null: absent, or not read), typed by the
 * resource itself: the engine stores each read under its resource's kind, so the cast holds.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function liveFrom<Live>(lives: ReadonlyMap<string, unknown>, resource: Resource<Live, any>): Live | null {
  return (lives.get(resource.kind) as Live | null | undefined) ?? null;
}

// A registry of resources with different Live/Intended types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyResource = Resource<any, any>;
