/** A Clock (src/retry.ts) that never waits: sleeping moves its time on and is recorded. */
import type { Clock } from '../../src/retry.js';

export function fakeClock(start = 1_700_000_000_000): Clock & { slept: number[] } {
  let time = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => time,
    sleep: async (ms: number) => {
      slept.push(ms);
      time += ms;
    },
  };
}
