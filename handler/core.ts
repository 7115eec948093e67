/**
 * The ingest function's logic that needs no AWS and no network: settings, the request to the
 * source, checks on the answer, the object key, redaction, the API Gateway proxy format. Pure.
 */

export interface KeyPlacement {
  in: 'query' | 'header';
  name: string;
}

export interface HandlerSettings {
  bucket: string;
  prefix: string;
  apiUrl: string;
  parameterName: string;
  keyPlacement: KeyPlacement;
  kmsKeyArn: string;
  maxBytes: number;
  attempts: number;
  timeoutMs: number;
}

/** The environment variable names: a contract between `bridge setup` and this function. */
export const ENV = {
  bucket: 'BRIDGE_BUCKET',
  prefix: 'BRIDGE_DATA_PREFIX',
  apiUrl: 'API_URL',
  parameterName: 'API_KEY_PARAMETER',
  keyPlacement: 'API_KEY_IN',
  kmsKeyArn: 'BRIDGE_KMS_KEY_ARN',
  maxBytes: 'SOURCE_MAX_BYTES',
  attempts: 'SOURCE_ATTEMPTS',
  timeoutMs: 'SOURCE_TIMEOUT_MS',
} as const;

export const DEFAULT_MAX_BYTES = 1024 * 1024;
export const DEFAULT_ATTEMPTS = 3;
export const DEFAULT_TIMEOUT_MS = 10_000;

/** A failure with a type Lambda reports as errorType (its name). */
export class IngestError extends Error {
  constructor(
    name: 'ConfigurationError' | 'SourceError' | 'StorageError',
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = name;
  }
}

/**
 * The one reading of a key placement, `query:NAME` or `header:NAME`: the function's, setup's
 * (src/config.ts adds what it refuses besides) and the deployed configuration's (src/resources/function.ts).
 */
export function keyPlacementOf(value: string): KeyPlacement | null {
  const match = /^(query|header):([A-Za-z0-9_.-]{1,64})$/.exec(value);
  return match ? { in: match[1] as 'query' | 'header', name: match[2] as string } : null;
}

export function parseKeyPlacement(value: string): KeyPlacement {
  const placement = keyPlacementOf(value);
  if (!placement) throw new IngestError('ConfigurationError', `${ENV.keyPlacement} must be query:NAME or header:NAME`);
  return placement;
}

function positive(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new IngestError('ConfigurationError', `${name} must be a positive whole number`);
  return value;
}

export function settingsFromEnv(env: Record<string, string | undefined>): HandlerSettings {
  const required = (name: string) => {
    const value = env[name];
    if (!value) throw new IngestError('ConfigurationError', `environment variable ${name} is not set: run bridge setup`);
    return value;
  };
  return {
    bucket: required(ENV.bucket),
    prefix: required(ENV.prefix),
    apiUrl: required(ENV.apiUrl),
    parameterName: required(ENV.parameterName),
    keyPlacement: parseKeyPlacement(required(ENV.keyPlacement)),
    kmsKeyArn: required(ENV.kmsKeyArn),
    maxBytes: positive(env, ENV.maxBytes, DEFAULT_MAX_BYTES),
    attempts: positive(env, ENV.attempts, DEFAULT_ATTEMPTS),
    timeoutMs: positive(env, ENV.timeoutMs, DEFAULT_TIMEOUT_MS),
  };
}

/** The URL and headers to call: the key goes where configured, "Bearer" for an Authorization header. */
export function sourceRequest(apiUrl: string, placement: KeyPlacement, key: string): { url: string; headers: Record<string, string> } {
  const url = new URL(apiUrl);
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'bridge-ingest/1' };
  if (placement.in === 'query') url.searchParams.set(placement.name, key);
  else headers[placement.name.toLowerCase()] = placement.name.toLowerCase() === 'authorization' ? `Bearer ${key}` : key;
  return { url: url.toString(), headers };
}

/** What may be logged of the source URL: scheme, host and path; never the query (it may carry the key). */
export function publicUrl(apiUrl: string): string {
  const url = new URL(apiUrl);
  return `${url.origin}${url.pathname}`;
}

/**
 * Removes the secret from any text before it is logged or thrown: as it is, URL-encoded, and as
 * JSON writes it inside a string (a key with a quote or a backslash), since log lines are JSON.
 */
export function redactor(secret: string | undefined): (text: string) => string {
  if (!secret || secret.length < 4) return (text) => text;
  const forms = [...new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])];
  return (text) => forms.reduce((out, form) => out.split(form).join('[redacted]'), text);
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Exponential backoff with jitter; a Retry-After in seconds is honoured up to the cap. */
export function retryDelayMs(attempt: number, retryAfter: string | null, random: () => number = Math.random): number {
  const cap = 4_000;
  const seconds = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : undefined;
  if (seconds !== undefined) return Math.min(seconds * 1000, cap);
  const base = 200 * 2 ** (attempt - 1);
  return Math.min(cap, Math.round(base / 2 + random() * (base / 2)));
}

/** A 2xx JSON answer, or a SourceError saying what it was instead. */
export function parseJsonBody(status: number, contentType: string | null, body: Buffer): unknown {
  if (status < 200 || status > 299) throw new IngestError('SourceError', `source answered HTTP ${status}`, status);
  if (!contentType || !/^application\/([a-z0-9.+-]*\+)?json\b/i.test(contentType.trim())) {
    throw new IngestError('SourceError', `source answered ${contentType ?? 'no content type'}, not JSON`, status);
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new IngestError('SourceError', 'source answered a body that is not valid JSON', status);
  }
}

/** `<prefix>YYYY/MM/DD/<ISO 8601 basic timestamp>-<request id>.json`: sortable, no ':' in keys. */
export function objectKey(prefix: string, at: Date, requestId: string): string {
  const iso = at.toISOString(); // 2026-11-28T08:54:00.123Z
  const [date] = iso.split('T') as [string];
  const [year, month, day] = date.split('-');
  const basic = iso.replace(/[-:]/g, '');
  const id = requestId.replace(/[^A-Za-z0-9-]/g, '');
  return `${prefix}${year}/${month}/${day}/${basic}-${id}.json`;
}

export interface StoredObject {
  bucket: string;
  key: string;
  versionId: string | null;
  sha256: string;
  bytes: number;
}

/** An invocation from API Gateway (REST proxy) carries httpMethod and requestContext. */
export function isApiGatewayEvent(event: unknown): boolean {
  return typeof event === 'object' && event !== null && 'httpMethod' in event && 'requestContext' in event;
}

/** What started a run: an API call, the stack's schedule, or someone invoking the function. */
export interface Trigger {
  trigger: 'api' | 'schedule' | 'manual';
  /** For a scheduled run, from Scheduler's context attributes (setup's schedule input). */
  scheduledTime?: string;
  attempt?: string;
}

/** A value of Scheduler's context attributes, as stored in S3 metadata: plain ASCII, short. */
const schedulerValue = (value: unknown): string | undefined => (typeof value === 'string' && /^[A-Za-z0-9:.+_-]{1,64}$/.test(value) ? value : undefined);

/**
 * Which of the three started this run. A scheduled run carries the event setup gives the schedule
 * (source 'bridge.schedule', with Scheduler's time and attempt filled in); anything else that is
 * not API Gateway's proxy event is someone invoking the function (bridge invoke, the console).
 */
export function triggerOf(event: unknown): Trigger {
  if (isApiGatewayEvent(event)) return { trigger: 'api' };
  const e = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  if (e.source !== 'bridge.schedule') return { trigger: 'manual' };
  const scheduledTime = schedulerValue(e.scheduledTime);
  const attempt = schedulerValue(e.attempt);
  return { trigger: 'schedule', ...(scheduledTime ? { scheduledTime } : {}), ...(attempt ? { attempt } : {}) };
}

/** The S3 metadata that records what started the run. */
export function triggerMetadata(t: Trigger): Record<string, string> {
  return { trigger: t.trigger, ...(t.scheduledTime ? { 'scheduled-time': t.scheduledTime } : {}), ...(t.attempt ? { 'schedule-attempt': t.attempt } : {}) };
}

export interface ProxyResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export function proxyResponse(outcome: { ok: true; object: StoredObject } | { ok: false; error: Error }): ProxyResult {
  const headers = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (outcome.ok) return { statusCode: 200, headers, body: JSON.stringify(outcome.object) };
  const status = outcome.error.name === 'SourceError' ? 502 : 500;
  return { statusCode: status, headers, body: JSON.stringify({ error: { type: outcome.error.name, message: outcome.error.message } }) };
}
