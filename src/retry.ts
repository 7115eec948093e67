/**
 * Retries for eventual consistency, in one place (as Terraform's provider does): IAM takes
 * seconds to make a new role or user usable as a principal elsewhere. Throttling is left to the
 * SDK's own adaptive retry (see aws.ts).
 */
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
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function retryUntil<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { timeoutMs = 120_000, initialDelayMs = 1_000, maxDelayMs = 8_000, sleep = realSleep, now = Date.now } = options;
  const deadline = now() + timeoutMs;
  let delay = initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!options.retryIf(error) || now() + delay > deadline) throw error;
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
