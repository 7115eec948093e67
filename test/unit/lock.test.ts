import { describe, expect, it } from 'vitest';
import { parseLockTimeout } from '../../src/commands/options.js';
import { heldMessage, parseHolder, staleBecause, STALE_AFTER_MS, type LockHolder, type LockState } from '../../src/lock-state.js';
import { UsageError } from '../../src/errors.js';

const holder: LockHolder = { bridge: 'lock', id: '6f1d2c3b-aaaa-bbbb-cccc-000000000001', command: 'setup', who: 'ana@ci-7', host: 'ci-7', pid: 4242, started: '2026-12-02T10:00:00.000Z', version: '1.0.0' };
const state = (modifiedAgoMs: number, now: number, h: LockHolder = holder): LockState => ({ holder: h, version: 3, modified: new Date(now - modifiedAgoMs), raw: JSON.stringify(h) });
const NOW = Date.parse('2026-12-02T10:01:00.000Z');

describe('--lock-timeout', () => {
  it('takes seconds or minutes, 0 by default', () => {
    expect(parseLockTimeout(undefined)).toBe(0);
    expect(parseLockTimeout('0')).toBe(0);
    expect(parseLockTimeout('90')).toBe(90_000);
    expect(parseLockTimeout('30s')).toBe(30_000);
    expect(parseLockTimeout('5m')).toBe(300_000);
  });

  it.each(['-1', '5h', '1.5m', 'soon', '61m', ''])('refuses %j with the accepted forms', (value) => {
    expect(() => parseLockTimeout(value)).toThrow(UsageError);
    expect(() => parseLockTimeout(value)).toThrow(/30s or 5m/);
  });
});

describe('the lock parameter', () => {
  it('is read back only when it is a bridge lock', () => {
    expect(parseHolder(JSON.stringify(holder))).toEqual(holder);
    expect(parseHolder('someone else value')).toBeNull();
    expect(parseHolder(JSON.stringify({ ...holder, bridge: undefined }))).toBeNull();
    expect(parseHolder(JSON.stringify({ ...holder, pid: '4242' }))).toBeNull();
  });
});

describe('a stale lock', () => {
  const here = (host: string, alive: boolean) => ({ host, now: NOW, alive: () => alive });

  it('is one whose process is gone from this host, at once', () => {
    expect(staleBecause(state(1000, NOW), here('ci-7', false))).toMatch(/process \(4242\) no longer runs on this host/);
    expect(staleBecause(state(1000, NOW), here('ci-7', true))).toBeNull();
  });

  it('is, from another host, one not renewed for five minutes (a process elsewhere cannot be seen)', () => {
    expect(staleBecause(state(1000, NOW), here('laptop', false))).toBeNull();
    expect(staleBecause(state(STALE_AFTER_MS - 1, NOW), here('laptop', false))).toBeNull();
    expect(staleBecause(state(STALE_AFTER_MS, NOW), here('laptop', false))).toMatch(/last renewed 5 minutes ago/);
  });
});

describe('the line a locked-out run prints', () => {
  it('names the other run, says nothing changed and how to wait', () => {
    const line = heldMessage('databridge', state(0, NOW), NOW, 0);
    expect(line).toBe(
      'stack databridge is being changed by another bridge run (setup by ana@ci-7, pid 4242, started 60s ago, lock 6f1d2c3b); nothing was changed: run again once it finishes, or pass --lock-timeout 5m to wait for it',
    );
    expect(heldMessage('databridge', state(0, NOW), NOW, 12_400)).toContain('waited 12s; ');
  });
});
