import { iamActionFor } from './iam-actions.js';

/** Exit codes are a public contract (README.md, "Exit codes"). */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** setup --dry-run --detailed-exitcode: changes are pending (terraform plan's convention). */
  changesPending: 2,
  auditFailed: 3,
  /** Ctrl-C (and Ctrl-D at a prompt): 128 + SIGINT, as shells report it. */
  interrupted: 130,
} as const;

/** A failure the user can act on: one line naming the problem and the fix. */
export class BridgeError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.failure,
  ) {
    super(message);
    this.name = 'BridgeError';
  }
}

/** Invalid input or usage, found before any change is made (exit 2). */
export class UsageError extends BridgeError {
  constructor(message: string) {
    super(message, ExitCode.usage);
    this.name = 'UsageError';
  }
}

/**
 * A resource carries one of the stack's names but is not proven ours (no `bridge:stack` tag).
 * Found while reading, before any change, so it exits 2: the fix is another --stack or --bucket.
 */
export class NotOursError extends BridgeError {
  constructor(resource: string, name: string, fix: string) {
    super(`${resource} '${name}' exists but is not tagged bridge:stack for this stack; bridge never modifies it. ${fix}`, ExitCode.usage);
    this.name = 'NotOursError';
  }
}

/**
 * Not proven ours, but shaped like what an interrupted setup of this stack leaves: setup offers
 * --adopt; everything else (teardown, audit) treats it as not ours.
 */
export class AdoptableError extends NotOursError {
  /** What was found, for the prompt that offers to take it over on a terminal. */
  readonly finding: string;

  constructor(
    resource: string,
    readonly resourceName: string,
    why: string,
  ) {
    super(resource, resourceName, `${why}, so an interrupted setup of this stack most likely left it: run setup again with --adopt to take it over, or choose another --bucket.`);
    this.name = 'AdoptableError';
    this.finding = `${resource} '${resourceName}' is not tagged for this stack, but ${why.charAt(0).toLowerCase()}${why.slice(1)}: an interrupted setup of this stack most likely left it`;
  }
}

/** The error name of an AWS SDK error (its `name`), or '' for anything else. */
export function awsErrorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

export function httpStatusOf(error: unknown): number | undefined {
  const meta = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata;
  return meta?.httpStatusCode;
}

/** True when an AWS call failed because the thing is not there. */
export function isNotFound(error: unknown, ...names: string[]): boolean {
  const name = awsErrorName(error);
  return names.includes(name) || ['NoSuchEntity', 'NoSuchEntityException', 'NotFoundException', 'NotFound'].includes(name);
}

/** A read's answer, or null where AWS says the thing is not there (isNotFound, or one of `names`). */
export async function unlessNotFound<T>(read: Promise<T>, ...names: string[]): Promise<T | null> {
  try {
    return await read;
  } catch (error) {
    if (isNotFound(error, ...names)) return null;
    throw error;
  }
}

/** Denials by their error names; a 403 under another name (a bad signature, an expired token) is about the credentials, not a permission. */
const DENIED = /^(AccessDenied|AccessDeniedException|UnauthorizedOperation|AuthorizationError|AuthorizationErrorException|Forbidden|403)$/;

/**
 * AWS's reason for a denial, as its messages give it: "because no identity-based policy allows
 * the s3:GetObject action", "because no service control policy allows ...", "with an explicit
 * deny in a permissions boundary", "... in a resource-based policy: arn:...".
 */
function denialReason(words: string): string | null {
  return /(because no (?:[\w-]+ ){0,3}?(?:policy|permissions boundary) allows the [\w-]+:[\w*]+ action|with an explicit deny in an? (?:[\w-]+ ){0,3}?(?:policy|permissions boundary)(?:: arn:\S+)?)/.exec(words)?.[1] ?? null;
}

/**
 * An AWS failure in one line: the call that failed (aws.ts marks it), AWS's code and words, and
 * the attempts made: "PutBucketVersioning answered SlowDown: Please reduce your request rate
 * (gave up after 8 attempts)". A denial names the permission to grant; an answer the SDK could
 * not read (an HTML error page from a proxy, say) says so, never the SDK's parser's words.
 */
export function awsFailureText(error: unknown): string {
  const e = error as { name?: string; message?: string; $bridgeCall?: string; $bridgeService?: string; $metadata?: { attempts?: number; httpStatusCode?: number } } | undefined;
  const call = e?.$bridgeCall;
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name && e.name !== 'Error' ? e.name : null;
  const raw = String(e?.message ?? error);
  const unreadable = name === 'SyntaxError' || /Deserialization error|inspect the hidden field/.test(raw);
  const words = raw.replace(/\s*Deserialization error:[\s\S]*$/, '').replace(/\.+$/, '');
  const attempts = e?.$metadata?.attempts;
  const gaveUp = attempts && attempts > 1 ? ` (gave up after ${attempts} attempts)` : '';
  if (call && e?.$bridgeService && ((name && DENIED.test(name)) || (status === 403 && (!name || unreadable || name === 'Unknown')))) {
    // AWS names the action in its message ("is not authorized to perform: kms:DescribeKey on ..."); else the table's.
    const action = /perform: ([\w-]+:[\w*]+)/.exec(words)?.[1] ?? iamActionFor(e.$bridgeService, call);
    const reason = unreadable ? null : denialReason(words);
    return `access denied: ${call} needs ${action}${reason ? `, and AWS says ${reason}` : ''} (${name && !unreadable ? name : `HTTP ${status}`}); allow it for these credentials (templates/deployer-policy.json lists what bridge needs)`;
  }
  if (unreadable) return `${call ?? 'a call'} got an answer that is not AWS's${status ? ` (HTTP ${status})` : ''}: a proxy or a wrong endpoint in between answered${gaveUp}`;
  const said = name ? `${call ? `${call} answered ` : ''}${name}: ${words}` : `${call ? `${call} failed: ` : ''}${words}`;
  return `${said}${gaveUp}`;
}
