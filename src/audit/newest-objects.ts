/**
 * The newest objects under the data prefix, found without listing the bucket. The function writes
 * PREFIX/YYYY/MM/DD/<sortable timestamp>-<id>.json (handler/core.ts objectKey), so today's folder
 * holds the newest when the bridge runs often; otherwise the newest year, month and day folders are
 * walked down. Objects straight under the prefix (a writer that bypasses the function) are
 * candidates too. A few calls however many objects the bucket holds; the lister does the I/O.
 * Keys list in ascending order, so a day too full for the lister's pages is narrowed to its newest
 * hour, then minute (keys there begin YYYYMMDDTHHMM), newest first.
 */
export interface ListedObject {
  key: string;
  lastModified: Date | undefined;
  /** Bytes, where the listing says. */
  size?: number;
}

export interface Listing {
  /** Sub-folders (CommonPrefixes) when a delimiter is given, in S3's (ascending) order. */
  folders: string[];
  objects: ListedObject[];
  /** The lister stopped before the end (it reads a few pages at most): these are the oldest keys. */
  truncated?: boolean;
}

export type Lister = (prefix: string, delimiter?: '/') => Promise<Listing>;

const DATE_PARTS = [/^\d{4}\/$/, /^\d{2}\/$/, /^\d{2}\/$/];

const newestFirst = (objects: ListedObject[]) => [...objects].sort((a, b) => (b.lastModified?.getTime() ?? 0) - (a.lastModified?.getTime() ?? 0) || b.key.localeCompare(a.key));

const pad = (n: number) => String(n).padStart(2, '0');

/** A day folder's newest objects: all of it when it fits the lister, else hour by hour and minute by minute from the end. */
async function newestOfDay(list: Lister, day: string, count: number, first?: Listing): Promise<ListedObject[]> {
  const whole = first ?? (await list(day));
  if (!whole.truncated) return whole.objects;
  const stamp = day.split('/').slice(-4, -1).join(''); // PREFIX/YYYY/MM/DD/ -> YYYYMMDD
  const found: ListedObject[] = [];
  for (let hour = 23; hour >= 0 && found.length < count; hour--) {
    const inHour = await list(`${day}${stamp}T${pad(hour)}`);
    if (!inHour.truncated) {
      found.push(...inHour.objects);
      continue;
    }
    for (let minute = 59; minute >= 0 && found.length < count; minute--) found.push(...(await list(`${day}${stamp}T${pad(hour)}${pad(minute)}`)).objects);
  }
  return found;
}

/** Up to `count` of the newest objects under `prefix`, newest first. */
export async function newestObjectKeys(list: Lister, prefix: string, now: Date, count: number): Promise<ListedObject[]> {
  const [year, month, day] = now.toISOString().slice(0, 10).split('-');
  const today = `${prefix}${year}/${month}/${day}/`;
  const [top, todays] = await Promise.all([list(prefix, '/'), list(today)]);
  const dated: ListedObject[] = todays.truncated ? await newestOfDay(list, today, count, todays) : [...todays.objects];
  if (dated.length < count) {
    // Down the newest folders first, back to older ones until enough are found.
    const walk = async (parent: string, folders: string[], depth: number): Promise<void> => {
      const named = folders.filter((folder) => DATE_PARTS[depth]?.test(folder.slice(parent.length)));
      for (const folder of named.reverse()) {
        if (dated.length >= count) return;
        if (depth === DATE_PARTS.length - 1) {
          if (folder !== today) dated.push(...(await newestOfDay(list, folder, count)));
        } else {
          await walk(folder, (await list(folder, '/')).folders, depth + 1);
        }
      }
    };
    await walk(prefix, top.folders, 0);
  }
  return newestFirst([...top.objects, ...dated]).slice(0, count);
}
