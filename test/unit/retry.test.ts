/**
 * IAM propagation cannot be produced by the local AWS (it is instantly consistent), so these use
 * a scripted operation and a fake clock: the retry policy itself is what is tested.
 */
import { describe, expect, it } from 'vitest';
import { isPrincipalNotYetVisible, retryUntil } from '../../src/retry.js';

function clock() {
  let now = 0;
  const waits: number[] = [];
  return { now: () => now, sleep: async (ms: number) => void (waits.push(ms), (now += ms)), waits };
}

const propagation = Object.assign(new Error('Policy contains a statement with one or more invalid principals.'), { name: 'MalformedPolicyDocumentException' });

describe('retryUntil', () => {
  it('retries a propagation error with doubling waits until it succeeds', async () => {
    const c = clock();
    let calls = 0;
    const progress: number[] = [];
    const result = await retryUntil(
      async () => {
        calls++;
        if (calls < 4) throw propagation;
        return 'ok';
      },
      { retryIf: isPrincipalNotYetVisible, sleep: c.sleep, now: c.now, onRetry: (attempt) => progress.push(attempt) },
    );
    expect(result).toBe('ok');
    expect(c.waits).toEqual([1000, 2000, 4000]);
    expect(progress).toEqual([1, 2, 3]);
  });

  it('gives up at the deadline with the last error', async () => {
    const c = clock();
    await expect(retryUntil(async () => Promise.reject(propagation), { retryIf: () => true, sleep: c.sleep, now: c.now, timeoutMs: 20_000 })).rejects.toBe(propagation);
    expect(c.now()).toBeLessThanOrEqual(20_000);
    expect(c.waits.at(-1)).toBe(8000);
  });

  it('does not retry other errors', async () => {
    const c = clock();
    const other = Object.assign(new Error('bad document'), { name: 'MalformedPolicyDocumentException' });
    await expect(retryUntil(async () => Promise.reject(other), { retryIf: isPrincipalNotYetVisible, sleep: c.sleep, now: c.now })).rejects.toBe(other);
    expect(c.waits).toEqual([]);
  });
});
