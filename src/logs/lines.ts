/**
 * The function's log lines, read for people: the handler writes one JSON object per step
 * ({level, step, requestId, ...}); Lambda adds START, END and REPORT lines, and its own for a
 * timeout or a crash. Pure.
 */

export interface LogEvent {
  id: string;
  timestamp: number;
  message: string;
  stream?: string;
}

interface HandlerLine {
  level?: string;
  step?: string;
  requestId?: string;
  error?: { type?: string; message?: string } | string;
  [field: string]: unknown;
}

export function handlerLine(message: string): HandlerLine | null {
  const text = message.trim();
  if (!text.startsWith('{')) return null;
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as HandlerLine) : null;
  } catch {
    return null;
  }
}

/** Lambda's own words for a run that failed outside the handler's logging. */
const LAMBDA_FAILURE = /Task timed out after|Runtime\.\w+|\tERROR\tInvoke Error|Runtime exited with error|Status: timeout|Status: error/;

/** Whether a line says a run failed: the handler's error step, or Lambda's timeout or crash. */
export function isErrorLine(message: string): boolean {
  const line = handlerLine(message);
  if (line) return line.level === 'error';
  return LAMBDA_FAILURE.test(message);
}

/** A filter pattern that finds error lines on AWS (the reader checks each line again with isErrorLine). */
export const ERROR_FILTER_PATTERN = '?error ?ERROR ?"Task timed out" ?"Runtime exited"';

function value(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The Node.js runtime's own lines: "TIME\tREQUEST-ID\tLEVEL\tMESSAGE" (console.* and its Invoke Error). */
const RUNTIME_LINE = /^\d{4}-\d{2}-\d{2}T[\d:.]+Z\t([0-9a-f-]{8,})\t([A-Z]+)\t([\s\S]*)$/;

function runtimeText(level: string, text: string): string {
  const invokeError = /^Invoke Error\s+(\{[\s\S]*\})\s*$/.exec(text);
  if (invokeError) {
    try {
      const e = JSON.parse(invokeError[1] as string) as { errorType?: string; errorMessage?: string };
      return `Invoke Error ${e.errorType ?? 'Error'}: ${e.errorMessage ?? ''}`;
    } catch {
      // Not the runtime's JSON: the line as it is.
    }
  }
  return `${level} ${text.trim()}`;
}

/** One line in words: "store key=raw/... versionId=... bytes=812", "error SourceError: 401 from the source", "Invoke Error SourceError: ...". */
export function lineText(message: string): string {
  const runtime = RUNTIME_LINE.exec(message.replace(/\s+$/, ''));
  if (runtime) return runtimeText(runtime[2] as string, runtime[3] as string);
  const line = handlerLine(message);
  if (!line) return message.replace(/\s+$/, '');
  const { level, step, requestId: _requestId, error, ...fields } = line;
  const failure = error === undefined ? '' : typeof error === 'string' ? ` ${error}` : ` ${error.type ?? 'Error'}: ${error.message ?? ''}`;
  const rest = Object.entries(fields)
    .map(([k, v]) => `${k}=${value(v)}`)
    .join(' ');
  return `${step ?? level ?? 'log'}${failure}${rest ? ` ${rest}` : ''}`;
}

/** "10:03:04" (UTC) for today's lines, "2026-12-01 10:03:04" for older ones. */
export function timeText(timestamp: number, now: Date): string {
  const iso = new Date(timestamp).toISOString();
  return iso.slice(0, 10) === now.toISOString().slice(0, 10) ? iso.slice(11, 19) : `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** The request id a line belongs to, where it says: the handler's field, or Lambda's "RequestId: ...". */
export function requestIdOf(message: string): string | null {
  const line = handlerLine(message);
  if (line?.requestId) return String(line.requestId);
  return RUNTIME_LINE.exec(message)?.[1] ?? /RequestId: ([0-9a-f-]{8,})/.exec(message)?.[1] ?? null;
}

/** One event as `bridge logs` prints it: readable on a terminal, whole elsewhere, an object with --json. */
export interface PrintedEvent {
  timestamp: string;
  logGroup: string;
  stream: string | null;
  requestId: string | null;
  message: string;
}

export function printedEvent(event: LogEvent, logGroup: string): PrintedEvent {
  return { timestamp: new Date(event.timestamp).toISOString(), logGroup, stream: event.stream ?? null, requestId: requestIdOf(event.message), message: event.message.replace(/\s+$/, '') };
}

/** "10:03:04  function  store key=raw/..." on a terminal (errors in red); the ISO time and the line as written elsewhere. */
export function eventLine(event: LogEvent, label: string, options: { tty: boolean; now: Date; paint?: { dim: (s: string) => string; red: (s: string) => string } }): string {
  if (!options.tty) return `${new Date(event.timestamp).toISOString()} ${label} ${event.message.replace(/\s+$/, '')}`;
  const dim = options.paint?.dim ?? ((s: string) => s);
  const red = options.paint?.red ?? ((s: string) => s);
  const text = lineText(event.message);
  return `${dim(timeText(event.timestamp, options.now))}  ${dim(label.padEnd(8))}  ${isErrorLine(event.message) ? red(text) : text}`;
}
