/**
 * Follows the function's log group until stopped: CloudWatch Logs Live Tail where the endpoint
 * has it, else FilterLogEvents about once a second. Starts at a given time (no replay of older
 * logs) and never shows an event twice.
 */
import { FilterLogEventsCommand, StartLiveTailCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';

export interface LogEvent {
  id: string;
  timestamp: number;
  message: string;
  stream?: string;
}

export interface FollowOptions {
  logGroupName: string;
  logGroupArn: string;
  startTime: number;
  signal: AbortSignal;
  onEvent: (event: LogEvent) => void;
  intervalMs?: number;
  /** Live Tail needs the real service (the local AWS lacks it). */
  liveTail?: boolean;
  onFallback?: (reason: string) => void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/** Polls FilterLogEvents from startTime on, one page after another, with no duplicates. */
export async function pollLogEvents(logs: CloudWatchLogsClient, options: FollowOptions): Promise<void> {
  const seen = new Set<string>();
  let since = options.startTime;
  while (!options.signal.aborted) {
    let nextToken: string | undefined;
    let newest = since;
    do {
      const page = await logs.send(new FilterLogEventsCommand({ logGroupName: options.logGroupName, startTime: since, nextToken }), {
        abortSignal: options.signal,
      });
      for (const event of page.events ?? []) {
        const id = event.eventId ?? `${event.logStreamName}/${event.timestamp}/${event.message}`;
        if (seen.has(id)) continue;
        seen.add(id);
        newest = Math.max(newest, event.timestamp ?? 0);
        const out: LogEvent = { id, timestamp: event.timestamp ?? 0, message: event.message ?? '' };
        if (event.logStreamName) out.stream = event.logStreamName;
        options.onEvent(out);
      }
      nextToken = page.nextToken;
    } while (nextToken && !options.signal.aborted);
    // Events of the newest millisecond may still arrive: ask from it again, the seen set dedupes.
    since = newest;
    await sleep(options.intervalMs ?? 1000, options.signal);
  }
}

async function liveTail(logs: CloudWatchLogsClient, options: FollowOptions): Promise<void> {
  const response = await logs.send(new StartLiveTailCommand({ logGroupIdentifiers: [options.logGroupArn] }), { abortSignal: options.signal });
  for await (const update of response.responseStream ?? []) {
    for (const event of update.sessionUpdate?.sessionResults ?? []) {
      if ((event.timestamp ?? 0) < options.startTime) continue;
      const out: LogEvent = { id: `${event.logStreamName}/${event.timestamp}/${event.message}`, timestamp: event.timestamp ?? 0, message: event.message ?? '' };
      if (event.logStreamName) out.stream = event.logStreamName;
      options.onEvent(out);
    }
  }
}

export async function followLogs(logs: CloudWatchLogsClient, options: FollowOptions): Promise<void> {
  if (options.liveTail) {
    try {
      await liveTail(logs, options);
      return;
    } catch (error) {
      if (options.signal.aborted) return;
      options.onFallback?.(`Live Tail unavailable (${(error as Error).name}); polling instead`);
    }
  }
  try {
    await pollLogEvents(logs, options);
  } catch (error) {
    if (!options.signal.aborted) throw error;
  }
}
