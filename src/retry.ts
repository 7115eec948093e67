/**
 * Retries for eventual consistency, in one place (as Terraform's provider does): IAM takes
 * seconds to make a new role or user usable as a principal elsewhere, and KMS takes seconds to
 * make a new key usable by the calls (and the services) that name it. Every such rule bridge knows
 * is one row of PROPAGATION, with its timeouts; every wait runs on the context's Clock, so tests run
 * on a fake one. Throttling is left to the SDK, with the one policy below (CliRetryStrategy).
 */
import { AdaptiveRetryStrategy } from '@smithy/core/retry';
import { isNotFound } from './errors.js';

/** The time every wait runs on: the system's in the CLI, a fake in tests (no real waiting). */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

type Refresh = AdaptiveRetryStrategy['refreshRetryTokenForRetry'];

export interface RetryOptions {
  /** Whether this error is worth another try. */
  retryIf: (error: unknown) => boolean;
  /** Give up after this long in all (default about two minutes). */
  timeoutMs?: number;
  /** First wait; doubles up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Told before each wait, for the progress line. */
  onRetry?: (attempt: number, error: unknown, delayMs: number) => void;
  /** Told when the deadline passed and the error is still the transient-looking one. */
  onGiveUp?: (error: unknown, waitedMs: number) => unknown;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Test seam: every wait and deadline is multiplied by `scale`. Only integration tests change it:
 * they run the whole CLI in this process (where no clock can be handed in) and reproduce AWS's
 * transient answers, and need not wait AWS's seconds for them. Unit tests hand in a fake Clock.
 */
export const retryTiming = { scale: 1 };

export async function retryUntil<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { sleep = systemClock.sleep, now = systemClock.now } = options;
  const scale = retryTiming.scale;
  const timeoutMs = (options.timeoutMs ?? 120_000) * scale;
  const maxDelayMs = (options.maxDelayMs ?? 8_000) * scale;
  const started = now();
  const deadline = started + timeoutMs;
  let delay = (options.initialDelayMs ?? 1_000) * scale;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!options.retryIf(error)) throw error;
      if (now() + delay > deadline) throw options.onGiveUp ? options.onGiveUp(error, now() - started) : error;
      options.onRetry?.(attempt, error, delay);
      await sleep(delay);
      delay = Math.min(delay * 2, maxDelayMs);
    }
  }
}

/** KMS refuses a key policy naming a principal IAM has not yet made visible. */
export function isPrincipalNotYetVisible(error: unknown): boolean {
  return error instanceof Error && error.name === 'MalformedPolicyDocumentException' && /principal/i.test(error.message);
}

/**
 * A key created moments ago, not yet visible where it is named (KMS developer guide, "Eventual
 * consistency"): KMS itself answers NotFoundException; CloudWatch Logs answers AccessDenied "The
 * specified KMS key does not exist or is not allowed to be used with Arn ..." (or, in older
 * regions, InvalidParameter "The specified KMS Key Id could not be found"); SSM answers
 * InvalidKeyId with KMS's NotFoundException inside. The key policy is put before any of these
 * calls, so a persisting answer is a real problem, reported once the retries run out.
 */
export function isKeyNotYetVisible(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'NotFoundException' || error.name === 'KMS.NotFoundException') return true;
  if (error.name === 'AccessDeniedException' && /KMS key does not exist or is not allowed to be used/i.test(error.message)) return true;
  if (error.name === 'InvalidParameterException' && /KMS Key Id could not be found/i.test(error.message)) return true;
  return error.name === 'InvalidKeyId' && /does not exist|not found/i.test(error.message);
}

/**
 * A role created moments ago is not yet usable by Lambda: the messages Terraform's AWS provider
 * retries CreateFunction on, and a function still busy with an earlier change.
 */
export function isRoleNotYetUsableByLambda(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'ResourceConflictException') return true;
  return (
    error.name === 'InvalidParameterValueException' &&
    /role defined for the function cannot be assumed by Lambda|provided execution role does not have permissions|throttled by EC2|unable to configure access to your environment variables because the KMS key is invalid for CreateGrant/.test(
      error.message,
    )
  );
}

/** API Gateway's answers while a new role is not yet usable by it (as Terraform's provider matches them). */
export function isRoleNotYetUsableByApiGateway(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'BadRequestException' &&
    /The role ARN does not have required permissions|API Gateway could not successfully write to CloudWatch Logs using the ARN specified/i.test(error.message)
  );
}

/**
 * Scheduler checks at CreateSchedule and UpdateSchedule that it may assume the role; a role made
 * (or trusted) moments ago is refused until IAM shows it there (Terraform's provider retries the
 * same message for 2 minutes).
 */
export function isRoleNotYetUsableByScheduler(error: unknown): boolean {
  return error instanceof Error && error.name === 'ValidationException' && /execution role you provide must allow AWS EventBridge Scheduler to assume the role/i.test(error.message);
}

/**
 * Lambda checks at PutFunctionEventInvokeConfig that the execution role may send to the failure
 * destination; a grant put moments ago is not yet seen ("The function's execution role does not
 * have permissions to call SendMessage on arn:...").
 */
export function isDestinationNotYetAllowed(error: unknown): boolean {
  return error instanceof Error && error.name === 'InvalidParameterValueException' && /execution role does not have permissions to call SendMessage/i.test(error.message);
}

/** SQS keeps a deleted queue's name for 60 seconds ("You must wait 60 seconds after deleting a queue ..."). */
export function isQueueNameNotYetFree(error: unknown): boolean {
  return error instanceof Error && /QueueDeletedRecently/.test(error.name);
}

export interface PropagationRule {
  /** For the progress line: "waiting for <what> (attempt N)"; from the answer where it tells which. */
  what: string | ((error: unknown) => string);
  retryIf: (error: unknown) => boolean;
  timeoutMs: number;
  initialDelayMs: number;
}

/**
 * Every propagation bridge waits out, with how long: a call that names something new is retried
 * while AWS answers as it does before the new thing is visible there, and never longer.
 */
export const PROPAGATION = {
  /** KMS: a key created moments ago, named by KMS itself, S3, SSM or CloudWatch Logs. */
  keyVisible: { what: 'KMS to make the new key visible', retryIf: isKeyNotYetVisible, timeoutMs: 60_000, initialDelayMs: 500 },
  /** IAM -> KMS: a key policy naming the new role and user (and the key itself, new). */
  principalsVisibleToKms: {
    what: (error: unknown) => (isKeyNotYetVisible(error) ? 'KMS to make the new key visible' : 'IAM to make the new role and user visible to KMS'),
    retryIf: (error: unknown) => isPrincipalNotYetVisible(error) || isKeyNotYetVisible(error),
    timeoutMs: 120_000,
    initialDelayMs: 1_000,
  },
  /** IAM -> Lambda: the new execution role, for CreateFunction and UpdateFunctionConfiguration. */
  roleUsableByLambda: { what: 'IAM to let Lambda assume the new role', retryIf: isRoleNotYetUsableByLambda, timeoutMs: 120_000, initialDelayMs: 1_000 },
  /** IAM -> API Gateway: the account's new CloudWatch role. */
  roleUsableByApiGateway: { what: 'IAM to let API Gateway use the new role', retryIf: isRoleNotYetUsableByApiGateway, timeoutMs: 60_000, initialDelayMs: 1_000 },
  /** IAM -> Scheduler: the scheduler role, for CreateSchedule and UpdateSchedule. */
  roleUsableByScheduler: { what: 'IAM to let EventBridge Scheduler assume the new role', retryIf: isRoleNotYetUsableByScheduler, timeoutMs: 120_000, initialDelayMs: 1_000 },
  /** IAM -> Lambda: the execution role's new grant on the dead-letter queue, for the failure destination. */
  destinationAllowed: { what: "IAM to show Lambda the execution role's grant on the dead-letter queue", retryIf: isDestinationNotYetAllowed, timeoutMs: 120_000, initialDelayMs: 1_000 },
  /** SQS: the dead-letter queue's name, deleted in the last minute (teardown then setup). */
  queueNameFree: { what: 'SQS to free the name of the queue deleted in the last minute', retryIf: isQueueNameNotYetFree, timeoutMs: 75_000, initialDelayMs: 5_000 },
  /** IAM: a user and group created moments ago, joined. */
  groupMembership: { what: 'IAM to make the new user and group visible', retryIf: (error: unknown) => isNotFound(error), timeoutMs: 60_000, initialDelayMs: 1_000 },
} satisfies Record<string, PropagationRule>;

/** Where a propagation wait runs: the context's clock and progress line (a StackContext has both). */
export interface Waiting {
  clock: Clock;
  progress: (message: string) => void;
}

const duration = (ms: number) => (ms >= 60_000 ? `${Math.round(ms / 60_000)} minute${ms >= 90_000 ? 's' : ''}` : `${Math.max(1, Math.round(ms / 1000))} s`);

/** Retries `operation` while `rule` says AWS has not yet made the new thing visible to it. */
export function untilPropagated<T>(
  waiting: Waiting,
  rule: PropagationRule,
  operation: () => Promise<T>,
  options: { to?: string; onGiveUp?: RetryOptions['onGiveUp'] } = {},
): Promise<T> {
  return retryUntil(operation, {
    retryIf: rule.retryIf,
    timeoutMs: rule.timeoutMs,
    initialDelayMs: rule.initialDelayMs,
    sleep: waiting.clock.sleep,
    now: waiting.clock.now,
    onRetry: (attempt, error) => {
      const what = typeof rule.what === 'function' ? rule.what(error) : rule.what;
      waiting.progress(`waiting for ${what}${options.to ? ` to ${options.to}` : ''} (attempt ${attempt}, up to ${duration(rule.timeoutMs * retryTiming.scale)})`);
    },
    ...(options.onGiveUp ? { onGiveUp: options.onGiveUp } : {}),
  });
}

/** Retries a call that names the stack's new key until KMS makes the key visible to it (`what`: the service). */
export function untilKeyVisible<T>(waiting: Waiting, operation: () => Promise<T>, what: string): Promise<T> {
  return untilPropagated(waiting, PROPAGATION.keyVisible, operation, { to: what });
}

const UNPACED = { getSendToken: async () => {}, updateClientSendingRate: () => {} };

/**
 * The SDK retry policy of every client, in one place: adaptive mode (the client slows its own
 * sending when throttled), full-jitter exponential backoff from the SDK's own bases, and no retry
 * quota. The SDK's quota (500 tokens, 14 a retry) is a circuit breaker for long-lived processes; a
 * CLI run of 150 calls against an account answering a fifth of them with throttling or 5xx spends
 * it and then fails calls that one more try would carry. The Terraform AWS provider turns it off
 * the same way (its SDK retryer's RateLimiter is ratelimit.None). Attempts still bound every call.
 */
export class CliRetryStrategy extends AdaptiveRetryStrategy {
  constructor(maxAttempts: number, backoffScale = 1) {
    let base = 50;
    super(maxAttempts, {
      maxAttempts,
      // The adaptive pacing after throttling is a wait like the backoff: a scale of 0 (tests) skips it.
      ...(backoffScale === 0 ? { rateLimiter: UNPACED } : {}),
      backoff: {
        setDelayBase: (delay: number) => {
          base = delay;
        },
        computeNextBackoffDelay: (retries: number) => Math.floor(Math.random() * Math.min(base * 2 ** retries, 20_000) * retryTiming.scale * backoffScale),
      },
    });
  }

  override async refreshRetryTokenForRetry(...[token, errorInfo]: Parameters<Refresh>): ReturnType<Refresh> {
    // No quota: the standard strategy inside refuses a retry only for lack of capacity or attempts.
    (this as unknown as { standardRetryStrategy: { capacity: number } }).standardRetryStrategy.capacity = Number.MAX_SAFE_INTEGER;
    return super.refreshRetryTokenForRetry(token, errorInfo);
  }
}
