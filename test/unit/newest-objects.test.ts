import { describe, expect, it } from 'vitest';
import { newestObjectKeys, type Lister, type ListedObject } from '../../src/audit/newest-objects.js';

/** An in-memory bucket that lists as S3 does (ascending keys; CommonPrefixes with a delimiter), and counts the calls. */
function bucket(keys: { key: string; at: string }[], maxKeys = Infinity) {
  const calls: string[] = [];
  const objects: ListedObject[] = keys.map((k) => ({ key: k.key, lastModified: new Date(k.at) })).sort((a, b) => a.key.localeCompare(b.key));
  const list: Lister = async (prefix, delimiter) => {
    calls.push(`${prefix}${delimiter ? ' /' : ''}`);
    const under = objects.filter((o) => o.key.startsWith(prefix));
    if (!delimiter) return under.length > maxKeys ? { folders: [], objects: under.slice(0, maxKeys), truncated: true } : { folders: [], objects: under };
    const folders = new Set<string>();
    const direct: ListedObject[] = [];
    for (const o of under) {
      const rest = o.key.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash >= 0) folders.add(prefix + rest.slice(0, slash + 1));
      else direct.push(o);
    }
    return { folders: [...folders].sort(), objects: direct };
  };
  return { list, calls };
}

const written = (day: string, n: number) =>
  Array.from({ length: n }, (_, i) => {
    const at = `${day}T10:${String(i).padStart(2, '0')}:00.000Z`;
    return { key: `raw/${day.replace(/-/g, '/')}/${at.replace(/[-:]/g, '')}-r${i}.json`, at };
  });

describe('the newest stored objects', () => {
  it("are today's when the bridge ran today: two listings, whatever else the bucket holds", async () => {
    const { list, calls } = bucket([...written('2024-03-01', 40), ...written('2026-12-03', 7)]);
    const newest = await newestObjectKeys(list, 'raw/', new Date('2026-12-03T12:00:00Z'), 5);
    expect(newest.map((o) => o.key)).toEqual(written('2026-12-03', 7).slice(2).reverse().map((o) => o.key));
    expect(calls).toHaveLength(2);
  });

  it('are found down the newest year, month and day when today is empty, reaching back a day when one holds too few', async () => {
    const { list, calls } = bucket([...written('2025-01-09', 3), ...written('2026-10-30', 9), ...written('2026-11-02', 2), ...written('2026-11-01', 1)]);
    const newest = await newestObjectKeys(list, 'raw/', new Date('2026-12-03T12:00:00Z'), 5);
    expect(newest.map((o) => o.key)).toEqual([...written('2026-11-02', 2).reverse(), ...written('2026-11-01', 1), ...written('2026-10-30', 9).slice(7).reverse()].map((o) => o.key));
    // Never the 2025 folder: enough were found in 2026.
    expect(calls.some((c) => c.startsWith('raw/2025/'))).toBe(false);
  });

  it('include an object put straight under the prefix by another writer, when it is newer', async () => {
    const { list } = bucket([...written('2026-12-01', 6), { key: 'raw/data.json', at: '2026-12-02T08:00:00Z' }]);
    const newest = await newestObjectKeys(list, 'raw/', new Date('2026-12-03T12:00:00Z'), 5);
    expect(newest[0]?.key).toBe('raw/data.json');
    expect(newest).toHaveLength(5);
  });

  it("are the end of a day too full for one listing, narrowed to its newest hour and minute (S3 lists keys oldest first)", async () => {
    // 60 a minute from 10:00 to 12:59 on one day; the lister stops after 100 keys.
    const busy = Array.from({ length: 3 * 60 * 60 }, (_, i) => {
      const at = new Date(Date.UTC(2026, 11, 3, 10, 0, i)).toISOString();
      return { key: `raw/2026/12/03/${at.replace(/[-:]/g, '')}-r${i}.json`, at };
    });
    const { list, calls } = bucket(busy, 100);
    const newest = await newestObjectKeys(list, 'raw/', new Date('2026-12-03T13:30:00Z'), 5);
    expect(newest.map((o) => o.key)).toEqual(busy.slice(-5).reverse().map((o) => o.key));
    // Today's listing, the empty hours 23 to 13, hour 12 (too full), its last minute.
    expect(calls.at(-1)).toBe('raw/2026/12/03/20261203T1259');
    expect(calls.length).toBeLessThan(20);
  });

  it('are none in an empty bucket, after the two listings', async () => {
    const { list, calls } = bucket([]);
    expect(await newestObjectKeys(list, 'raw/', new Date('2026-12-03T12:00:00Z'), 5)).toEqual([]);
    expect(calls).toEqual(['raw/ /', 'raw/2026/12/03/']);
  });
});
