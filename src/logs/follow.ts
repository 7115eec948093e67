/**
 * Reads a log group: the events of a time window (FilterLogEvents, page by page), or, until
 * stopped, every new one (CloudWatch Logs Live Tail where the endpoint has it, else
 * FilterLogEvents about once a second), never an event twice.
 */
import { FilterLogEventsCommand, StartLiveTailCommand, type CloudWatchLogsClient, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import type { LogEvent } from './lines.js';

function logEvent(event: FilteredLogEvent): LogEvent {
  const out: LogEvent = { id: event.eventId ?? `${event.logStreamName}/${event.timestamp}/${event.message}`, timestamp: event.timestamp ?? 0, message: event.message ?? '' };
  if (event.logStreamName) out.stream = event.logStreamName;
  return out;
}

export interface WindowOptions {
  logGroupName: string;
  startTime: number;
  endTime?: number;
  filterPattern?: string;
  /** Pages to read at most (a busy group holds many): the oldest come first, so the newest may be cut. */
  maxPages?: number;
}

/** The events of a time window, oldest first; `truncated` when pages were left unread. */
export async function readLogWindow(logs: CloudWatchLogsClient, options: WindowOptions): Promise<{ events: LogEvent[]; truncated: boolean }> {
  const events: LogEvent[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const page = await logs.send(
      new FilterLogEventsCommand({
        logGroupName: options.logGroupName,
        startTime: options.startTime,
        ...(options.endTime !== undefined ? { endTime: options.endTime } : {}),
        ...(options.filterPattern ? { filterPattern: options.filterPattern } : {}),
        nextToken,
      }),
    );
    events.push(...(page.events ?? []).map(logEvent));
    nextToken = page.nextToken;
  } while (nextToken && ++pages < (options.maxPages ?? 20));
  return { events: events.sort((a, b) => a.timestamp - b.timestamp), truncated: nextToken !== undefined };
}

export interface FollowOptions {
  logGroupName: string;
  logGroupArn: string;
  startTime: number;
  /** Only events matching it (CloudWatch Logs filter pattern syntax). */
  filterPattern?: string;
  signal: AbortSignal;
  onEvent: (event: LogEvent) => void;
  intervalMs?: number;
  /** Live Tail needs the real service (the local AWS lacks it). */
  liveTail?: boolean;
  onFallback?: (reason: string) => void;
}

/** Waits, or less when aborted; its listener goes with it (one left per poll grew past Node's warning limit). */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/** Polls FilterLogEvents from startTime on, one page after another, with no duplicates. */
export async function pollLogEvents(logs: CloudWatchLogsClient, options: FollowOptions): Promise<void> {
  const seen = new Set<string>();
  let since = options.startTime;
  while (!options.signal.aborted) {
    let nextToken: string | undefined;
    let newest = since;
    do {
      const page = await logs
        .send(new FilterLogEventsCommand({ logGroupName: options.logGroupName, startTime: since, nextToken, ...(options.filterPattern ? { filterPattern: options.filterPattern } : {}) }), {
          abortSignal: options.signal,
        })
        // A group not made yet (no run since setup) has nothing to show yet: keep waiting for it.
        .catch((error: unknown) => {
          if ((error as Error).name === 'ResourceNotFoundException') return { events: [], nextToken: undefined };
          throw error;
        });
      for (const event of (page.events ?? []).map(logEvent)) {
        if (seen.has(event.id)) continue;
        seen.add(event.id);
        newest = Math.max(newest, event.timestamp);
        options.onEvent(event);
      }
      nextToken = page.nextToken;
    } while (nextToken && !options.signal.aborted);
    // Events of the newest millisecond may still arrive: ask from it again, the seen set dedupes.
    since = newest;
    await sleep(options.intervalMs ?? 1000, options.signal);
  }
}

async function liveTail(logs: CloudWatchLogsClient, options: FollowOptions): Promise<void> {
  const response = await logs.send(
    new StartLiveTailCommand({ logGroupIdentifiers: [options.logGroupArn], ...(options.filterPattern ? { logEventFilterPattern: options.filterPattern } : {}) }),
    { abortSignal: options.signal },
  );
  for await (const update of response.responseStream ?? []) {
    for (const event of update.sessionUpdate?.sessionResults ?? []) {
      if ((event.timestamp ?? 0) < options.startTime) continue;
      options.onEvent(logEvent(event));
    }
  }
}

export async function followLogs(logs: CloudWatchLogsClient, options: FollowOptions): Promise<void> {
  let startTime = options.startTime;
  if (options.liveTail) {
    let newest = 0;
    const onEvent = (event: LogEvent) => {
      newest = Math.max(newest, event.timestamp);
      options.onEvent(event);
    };
    try {
      await liveTail(logs, { ...options, onEvent });
      if (options.signal.aborted) return;
      // A session ends by itself (after 3 hours): go on by polling.
      options.onFallback?.('the Live Tail session ended; polling from its last event');
    } catch (error) {
      if (options.signal.aborted) return;
      options.onFallback?.(`Live Tail unavailable (${(error as Error).name}); polling instead`);
    }
    // From just after the last event Live Tail showed: none twice.
    if (newest > 0) startTime = newest + 1;
  }
  try {
    await pollLogEvents(logs, { ...options, startTime });
  } catch (error) {
    if (!options.signal.aborted) throw error;
  }
}
