/**
 * Retries for eventual consistency, in one place (as Terraform's provider does): IAM takes
 * seconds to make a new role or user usable as a principal elsewhere, and KMS takes seconds to
 * make a new key usable by the calls (and the services) that name it. Throttling is left to the
 * SDK, with the one policy below (CliRetryStrategy).
 */
import { AdaptiveRetryStrategy } from '@smithy/core/retry';

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
 * Every wait and deadline is multiplied by `scale`. Only the tests change it: they run bridge in
 * this process and reproduce AWS's transient answers, and need not wait AWS's seconds for them.
 */
export const retryTiming = { scale: 1 };

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function retryUntil<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { sleep = realSleep, now = Date.now } = options;
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

/** Retries a call that names the stack's new key until KMS makes the key visible to it. */
export function untilKeyVisible<T>(operation: () => Promise<T>, progress: (message: string) => void, what: string): Promise<T> {
  return retryUntil(operation, {
    retryIf: isKeyNotYetVisible,
    initialDelayMs: 500,
    timeoutMs: 60_000,
    onRetry: (attempt) => progress(`waiting for KMS to make the new key visible to ${what} (attempt ${attempt})`),
  });
}

/**
 * The SDK retry policy of every client, in one place: adaptive mode (the client slows its own
 * sending when throttled), full-jitter exponential backoff from the SDK's own bases, and no retry
 * quota. The SDK's quota (500 tokens, 14 a retry) is a circuit breaker for long-lived processes; a
 * CLI run of 150 calls against an account answering a fifth of them with throttling or 5xx spends
 * it and then fails calls that one more try would carry. The Terraform AWS provider turns it off
 * the same way (its SDK retryer's RateLimiter is ratelimit.None). Attempts still bound every call.
 */
export class CliRetryStrategy extends AdaptiveRetryStrategy {
  constructor(maxAttempts: number) {
    let base = 50;
    super(maxAttempts, {
      maxAttempts,
      backoff: {
        setDelayBase: (delay: number) => {
          base = delay;
        },
        computeNextBackoffDelay: (retries: number) => Math.floor(Math.random() * Math.min(base * 2 ** retries, 20_000) * retryTiming.scale),
      },
    });
  }

  override async refreshRetryTokenForRetry(...[token, errorInfo]: Parameters<Refresh>): ReturnType<Refresh> {
    // No quota: the standard strategy inside refuses a retry only for lack of capacity or attempts.
    (this as unknown as { standardRetryStrategy: { capacity: number } }).standardRetryStrategy.capacity = Number.MAX_SAFE_INTEGER;
    return super.refreshRetryTokenForRetry(token, errorInfo);
  }
}
