import { describe, expect, it } from 'vitest';
import {
  IngestError,
  isApiGatewayEvent,
  objectKey,
  parseJsonBody,
  proxyResponse,
  publicUrl,
  redactor,
  retryDelayMs,
  settingsFromEnv,
  sourceRequest,
  triggerMetadata,
  triggerOf,
} from '../../handler/core.js';
import { SCHEDULE_INPUT } from '../../src/resources/schedule-state.js';

const env = {
  BRIDGE_BUCKET: 'b',
  BRIDGE_DATA_PREFIX: 'raw/',
  API_URL: 'https://api.openweathermap.org/data/2.5/weather?q=London',
  API_KEY_PARAMETER: '/s/source/api-key',
  API_KEY_IN: 'query:appid',
  BRIDGE_KMS_KEY_ARN: 'arn:aws:kms:us-east-1:1:key/k',
};

describe('handler settings', () => {
  it('reads the environment bridge setup writes, with defaults for the limits', () => {
    expect(settingsFromEnv(env)).toEqual({
      bucket: 'b',
      prefix: 'raw/',
      apiUrl: env.API_URL,
      parameterName: '/s/source/api-key',
      keyPlacement: { in: 'query', name: 'appid' },
      kmsKeyArn: env.BRIDGE_KMS_KEY_ARN,
      maxBytes: 1048576,
      attempts: 3,
      timeoutMs: 10000,
    });
  });
  it('names a missing variable and the fix', () => {
    expect(() => settingsFromEnv({ ...env, BRIDGE_BUCKET: undefined })).toThrow(/BRIDGE_BUCKET is not set: run bridge setup/);
    expect(() => settingsFromEnv({ ...env, SOURCE_ATTEMPTS: '0' })).toThrow(/SOURCE_ATTEMPTS must be a positive whole number/);
  });
});

describe('the request to the source', () => {
  it('puts the key in the query for OpenWeatherMap', () => {
    const r = sourceRequest(env.API_URL, { in: 'query', name: 'appid' }, 'k e/y');
    expect(new URL(r.url).searchParams.get('appid')).toBe('k e/y');
    expect(new URL(r.url).searchParams.get('q')).toBe('London');
    expect(r.headers.authorization).toBeUndefined();
  });
  it('sends a bearer token in Authorization, the raw key in other headers', () => {
    expect(sourceRequest('https://x.example/a', { in: 'header', name: 'Authorization' }, 'abc').headers.authorization).toBe('Bearer abc');
    expect(sourceRequest('https://x.example/a', { in: 'header', name: 'X-Api-Key' }, 'abc').headers['x-api-key']).toBe('abc');
    expect(sourceRequest('https://x.example/a', { in: 'header', name: 'X-Api-Key' }, 'abc').url).toBe('https://x.example/a');
  });
  it('logs only scheme, host and path of the URL', () => {
    expect(publicUrl('https://api.example.com/v1/data?appid=SECRET&q=x')).toBe('https://api.example.com/v1/data');
  });
  it('redacts the key and its URL-encoded form', () => {
    const redact = redactor('a+b/c=');
    expect(redact('key a+b/c= and a%2Bb%2Fc%3D')).toBe('key [redacted] and [redacted]');
    expect(redactor(undefined)('nothing to hide')).toBe('nothing to hide');
  });
  it('redacts the key as a JSON log line writes it (a quote or a backslash in it)', () => {
    const key = 'k"ey\\9x';
    const line = JSON.stringify({ step: 'fetch', error: `401 for ${key}` });
    expect(line).not.toContain(key);
    expect(redactor(key)(line)).toBe('{"step":"fetch","error":"401 for [redacted]"}');
  });
});

describe('retries', () => {
  it('backs off exponentially with jitter, capped, and honours Retry-After', () => {
    expect(retryDelayMs(1, null, () => 0)).toBe(100);
    expect(retryDelayMs(1, null, () => 1)).toBe(200);
    expect(retryDelayMs(3, null, () => 1)).toBe(800);
    expect(retryDelayMs(10, null, () => 1)).toBe(4000);
    expect(retryDelayMs(1, '2', () => 0)).toBe(2000);
    expect(retryDelayMs(1, '120', () => 0)).toBe(4000);
    expect(retryDelayMs(1, 'Wed, 21 Oct 2015 07:28:00 GMT', () => 0)).toBe(100);
  });
});

describe("the source's answer", () => {
  const body = Buffer.from('{"name":"London"}');
  it('accepts 2xx JSON, including +json types', () => {
    expect(parseJsonBody(200, 'application/json; charset=utf-8', body)).toEqual({ name: 'London' });
    expect(parseJsonBody(200, 'application/vnd.api+json', body)).toEqual({ name: 'London' });
  });
  it.each([
    [500, 'application/json', body, /HTTP 500/],
    [401, 'application/json', body, /HTTP 401/],
    [200, 'text/html', body, /text\/html, not JSON/],
    [200, null, body, /no content type, not JSON/],
    [200, 'application/json', Buffer.from('{"coord":'), /not valid JSON/],
  ])('refuses HTTP %s %s', (status, type, b, message) => {
    expect(() => parseJsonBody(status, type, b)).toThrow(message);
    try {
      parseJsonBody(status, type, b);
    } catch (error) {
      expect((error as IngestError).name).toBe('SourceError');
    }
  });
});

describe('object key', () => {
  it('is <prefix>YYYY/MM/DD/<ISO 8601 basic timestamp>-<request id>.json, with no colon', () => {
    const key = objectKey('raw/', new Date('2026-11-28T08:54:00.123Z'), 'c0ffee-12/../x');
    expect(key).toBe('raw/2026/11/28/20261128T085400.123Z-c0ffee-12x.json');
    expect(key).not.toContain(':');
  });
});

describe('API Gateway proxy format', () => {
  it('recognises a REST proxy event', () => {
    expect(isApiGatewayEvent({ httpMethod: 'GET', requestContext: {} })).toBe(true);
    expect(isApiGatewayEvent({})).toBe(false);
  });
  it('answers 200 with the object, 502 when the source failed, 500 otherwise', () => {
    const object = { bucket: 'b', key: 'k', versionId: 'v', sha256: 'h', bytes: 1 };
    expect(proxyResponse({ ok: true, object })).toMatchObject({ statusCode: 200, body: JSON.stringify(object) });
    const source = proxyResponse({ ok: false, error: new IngestError('SourceError', 'source answered HTTP 500') });
    expect(source.statusCode).toBe(502);
    expect(JSON.parse(source.body)).toEqual({ error: { type: 'SourceError', message: 'source answered HTTP 500' } });
    expect(proxyResponse({ ok: false, error: new IngestError('StorageError', 'x') }).statusCode).toBe(500);
  });
});

describe('what started a run', () => {
  it('tells an API call, a scheduled run and a manual invoke apart', () => {
    expect(triggerOf({ httpMethod: 'GET', requestContext: {} })).toEqual({ trigger: 'api' });
    expect(triggerOf({})).toEqual({ trigger: 'manual' });
    expect(triggerOf(null)).toEqual({ trigger: 'manual' });
    expect(triggerOf({ source: 'aws.events' })).toEqual({ trigger: 'manual' });
  });

  it("reads the event setup gives the schedule, once Scheduler has filled in its context attributes", () => {
    // Scheduler replaces each <aws.scheduler.*> in the schedule's Input before it invokes the function.
    const sent = JSON.parse(
      SCHEDULE_INPUT.replace('<aws.scheduler.schedule-arn>', 'arn:aws:scheduler:us-east-1:1:schedule/s/s-ingest')
        .replace('<aws.scheduler.scheduled-time>', '2026-12-08T06:15:00Z')
        .replace('<aws.scheduler.execution-id>', 'abc')
        .replace('<aws.scheduler.attempt-number>', '2'),
    );
    const t = triggerOf(sent);
    expect(t).toEqual({ trigger: 'schedule', scheduledTime: '2026-12-08T06:15:00Z', attempt: '2' });
    expect(triggerMetadata(t)).toEqual({ trigger: 'schedule', 'scheduled-time': '2026-12-08T06:15:00Z', 'schedule-attempt': '2' });
  });

  it('keeps a value that is not plain and short out of the S3 metadata', () => {
    const t = triggerOf({ source: 'bridge.schedule', scheduledTime: 'x\r\nX-Evil: 1', attempt: 'a'.repeat(65) });
    expect(t).toEqual({ trigger: 'schedule' });
    expect(triggerMetadata({ trigger: 'manual' })).toEqual({ trigger: 'manual' });
  });
});
