/**
 * The handler against the sample source and the local AWS, run the way users run it here:
 * `bridge invoke --local`. The object lands under the right key, under the stack key, with a
 * checksum S3 holds; every failure of the source stores nothing and says why; the key never
 * appears in any output, log line, object or result.
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FilterLogEventsCommand, PutLogEventsCommand, CreateLogStreamCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { GetObjectCommand, HeadObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { followLogs } from '../../src/logs/follow.js';
import type { LogEvent } from '../../src/logs/lines.js';
import { freeLoopbackPort } from '../../src/local/moto.js';
import { CURRENT_WEATHER_LONDON, startSampleSource, type SampleSource } from '../../src/local/sample-source.js';
import { LOCAL_ACCOUNT, TEST_SOURCE_KEY, localClients, mutatingCalls, resetLocal, runCli, type CliRun } from '../support/helpers.js';
import { DeleteParameterCommand } from '@aws-sdk/client-ssm';

const stack = 'invokecheck';
const Bucket = `${stack}-${LOCAL_ACCOUNT}-us-east-1`;
const aws = localClients();
const { logs } = aws;
const env = { TEST_SOURCE_KEY };
let source: SampleSource;
let keyArn: string;
const outputs: string[] = [];

async function bridge(args: string[], options: { env?: Record<string, string> } = {}): Promise<CliRun> {
  const run = await runCli(args, options);
  outputs.push(run.stdout, run.stderr);
  return run;
}

async function setSource(url: string, extra: string[] = [], extraEnv: Record<string, string> = {}) {
  const run = await bridge(['setup', '--stack', stack, '--quiet', '--source-url', url, ...extra], { env: { ...env, ...extraEnv } });
  expect(run.code, run.stderr).toBe(0);
}

async function versionCount(): Promise<number> {
  return (await aws.s3.send(new ListObjectVersionsCommand({ Bucket }))).Versions?.length ?? 0;
}

beforeAll(async () => {
  await resetLocal();
  source = await startSampleSource({ apiKey: TEST_SOURCE_KEY, keyIn: { in: 'query', name: 'appid' } });
  const run = await bridge(['setup', '--stack', stack, '--source-url', source.weatherUrl, '--source-key-in', 'query:appid', '--api-key-env', 'TEST_SOURCE_KEY'], { env });
  expect(run.code, run.stderr).toBe(0);
  keyArn = (await aws.kms.send(new DescribeKeyCommand({ KeyId: `alias/${stack}` }))).KeyMetadata?.Arn as string;
});

afterAll(async () => {
  await source?.stop();
});

describe('a successful run', () => {
  let json: { statusCode: number; payload: Record<string, unknown>; logTail: string; durationMs: number; object: { bucket: string; key: string; versionId: string; sha256: string; bytes: number } };

  beforeAll(async () => {
    const run = await bridge(['invoke', '--stack', stack, '--local', '--json']);
    expect(run.code, run.stderr).toBe(0);
    json = JSON.parse(run.stdout);
  });

  it('answers the documented JSON', () => {
    expect(json.statusCode).toBe(200);
    expect(json.durationMs).toBeGreaterThan(0);
    expect(json.logTail).toMatch(/^START RequestId: [0-9a-f-]+ Version: \$LATEST$/m);
    expect(json.logTail).toMatch(/^REPORT RequestId: /m);
    expect(json.object).toEqual(json.payload);
    expect(json.object.bucket).toBe(Bucket);
  });

  it('stores the body under <prefix>YYYY/MM/DD/<timestamp>-<request id>.json', async () => {
    const requestId = /START RequestId: (\S+)/.exec(json.logTail)?.[1] as string;
    expect(json.object.key).toMatch(new RegExp(`^raw/(\\d{4})/(\\d{2})/(\\d{2})/\\1\\2\\3T\\d{6}\\.\\d{3}Z-${requestId}\\.json$`));
    const body = await (await aws.s3.send(new GetObjectCommand({ Bucket, Key: json.object.key }))).Body?.transformToString();
    expect(JSON.parse(body as string)).toEqual(CURRENT_WEATHER_LONDON);
    expect(json.object.bytes).toBe(Buffer.byteLength(body as string));
  });

  it('encrypts it with the stack key (SSE-KMS, bucket key) and S3 holds its SHA-256', async () => {
    const head = await aws.s3.send(new HeadObjectCommand({ Bucket, Key: json.object.key, VersionId: json.object.versionId, ChecksumMode: 'ENABLED' }));
    expect(head.ServerSideEncryption).toBe('aws:kms');
    expect(head.SSEKMSKeyId).toBe(keyArn);
    expect(head.BucketKeyEnabled).toBe(true);
    const body = await (await aws.s3.send(new GetObjectCommand({ Bucket, Key: json.object.key }))).Body?.transformToByteArray();
    const digest = createHash('sha256').update(body as Uint8Array);
    expect(head.ChecksumSHA256).toBe(digest.copy().digest('base64'));
    expect(json.object.sha256).toBe(digest.digest('hex'));
    expect(head.ContentType).toBe('application/json');
    expect(head.Metadata).toEqual({
      'source-host': new URL(source.origin).host,
      'fetched-at': expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      'http-status': '200',
      sha256: json.object.sha256,
      trigger: 'manual',
    });
  });

  it('sent the key as configured (?appid=)', () => {
    expect(source.requests.at(-1)).toMatchObject({ path: '/data/2.5/weather', keyArrived: 'query' });
  });

  it('shows the object, its KMS key and the parsed REPORT line for people, with --tail', async () => {
    const run = await bridge(['invoke', '--stack', stack, '--local', '--tail']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/object {3}s3:\/\/invokecheck-123456789012-us-east-1\/raw\//);
    expect(run.stdout).toContain(`KMS key  ${keyArn}`);
    expect(run.stdout).toContain('(S3 holds the same SHA-256)');
    expect(run.stdout).toMatch(/^Duration [\d.]+ ms \(billed \d+ ms\), memory \d+ of 256 MB used, init [\d.]+ ms \(cold start\)$/m);
    expect(run.stdout).toMatch(/"step":"fetch".*"status":200/);
  });

  it('records a scheduled run as one, from the event the schedule sends (Scheduler fills in its time and attempt)', async () => {
    const event = { source: 'bridge.schedule', scheduleArn: 'arn:aws:scheduler:us-east-1:123456789012:schedule/invokecheck/invokecheck-ingest', scheduledTime: '2026-12-08T06:00:00Z', executionId: 'e1', attempt: '1' };
    const run = await bridge(['invoke', '--stack', stack, '--local', '--json', '--payload', JSON.stringify(event)]);
    expect(run.code, run.stderr).toBe(0);
    const { object, logTail } = JSON.parse(run.stdout);
    const head = await aws.s3.send(new HeadObjectCommand({ Bucket, Key: object.key }));
    expect(head.Metadata).toMatchObject({ trigger: 'schedule', 'scheduled-time': '2026-12-08T06:00:00Z', 'schedule-attempt': '1' });
    expect(logTail).toMatch(/"step":"start".*"trigger":"schedule"/);
  });

  it('answers an API Gateway event in the proxy format', async () => {
    const run = await bridge(['invoke', '--stack', stack, '--local', '--json', '--payload', '{"httpMethod":"GET","path":"/data","requestContext":{"stage":"prod"}}']);
    expect(run.code, run.stderr).toBe(0);
    const payload = JSON.parse(run.stdout).payload;
    expect(payload.statusCode).toBe(200);
    expect(JSON.parse(payload.body).key).toMatch(/^raw\//);
  });
});

describe('when the source fails, nothing is stored and the error is reported (exit 1)', () => {
  it.each([
    ['a 500', '/fail/500', /SourceError: source answered HTTP 500/],
    ['non-JSON', '/not-json', /SourceError: source answered text\/html, not JSON/],
    ['broken JSON', '/broken-json', /SourceError: source answered a body that is not valid JSON/],
    ['an oversized body', '/big?bytes=2097152', /SourceError: source answered more than the 1048576 bytes allowed/],
  ])('%s', async (_, path, message) => {
    await setSource(`${source.origin}${path}`);
    const before = await versionCount();
    const run = await bridge(['invoke', '--stack', stack, '--local', '--tail']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^error: the function failed: ${message.source}`, 'm'));
    expect(run.stdout).toMatch(/"step":"error"/);
    expect(await versionCount()).toBe(before);
  });

  it('a wrong key (401)', async () => {
    await setSource(source.weatherUrl, ['--api-key-env', 'WRONG_KEY'], { WRONG_KEY: 'not-the-key' });
    const before = await versionCount();
    const run = await bridge(['invoke', '--stack', stack, '--local']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/SourceError: source answered HTTP 401/);
    expect(await versionCount()).toBe(before);
    await setSource(source.weatherUrl, ['--api-key-env', 'TEST_SOURCE_KEY']);
  });

  it('an unreachable source, retried, within the time left', async () => {
    const closed = await freeLoopbackPort();
    await setSource(`http://127.0.0.1:${closed}/data`);
    const before = await versionCount();
    const run = await bridge(['invoke', '--stack', stack, '--local', '--tail']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`SourceError: source unreachable at http://127.0.0.1:${closed}/data (ECONNREFUSED)`);
    expect(run.stdout.match(/"step":"fetch"/g)).toHaveLength(3);
    expect(await versionCount()).toBe(before);
  });

  it('a slow source, cut at the time the function has', async () => {
    await setSource(`${source.origin}/slow?ms=8000`, ['--function-timeout', '3']);
    const before = await versionCount();
    const started = Date.now();
    const run = await bridge(['invoke', '--stack', stack, '--local']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/SourceError: source did not answer within \d+ ms at http:\/\/127\.0\.0\.1:\d+\/slow/);
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(await versionCount()).toBe(before);
    await setSource(source.weatherUrl, ['--function-timeout', '25']);
  });
});

describe('retries', () => {
  it('a 429 then success: retried after Retry-After, stored once', async () => {
    await setSource(`${source.origin}/flaky/429`);
    const before = await versionCount();
    const run = await bridge(['invoke', '--stack', stack, '--local', '--tail']);
    expect(run.code, run.stderr).toBe(0);
    expect(source.requests.filter((r) => r.path === '/flaky/429')).toHaveLength(2);
    expect(run.stdout).toMatch(/"step":"retry".*"delayMs":1000/);
    expect(await versionCount()).toBe(before + 1);
  });
});

describe('the key as a bearer token', () => {
  it('arrives in the Authorization header when so configured', async () => {
    const headerSource = await startSampleSource({ apiKey: TEST_SOURCE_KEY, keyIn: { in: 'header', name: 'Authorization' } });
    try {
      await setSource(headerSource.weatherUrl, ['--source-key-in', 'header:Authorization']);
      const run = await bridge(['invoke', '--stack', stack, '--local']);
      expect(run.code, run.stderr).toBe(0);
      expect(headerSource.requests.at(-1)?.keyArrived).toBe('header');
    } finally {
      await headerSource.stop();
      await setSource(source.weatherUrl, ['--source-key-in', 'query:appid']);
    }
  });
});

describe('following the log group', () => {
  it('shows new events once, and none from before it started', async () => {
    const logGroupName = `/aws/lambda/${stack}-ingest`;
    await logs.send(new CreateLogStreamCommand({ logGroupName, logStreamName: 'follow-test' }));
    const startTime = Date.now();
    await logs.send(new PutLogEventsCommand({ logGroupName, logStreamName: 'follow-test', logEvents: [{ timestamp: startTime - 60_000, message: 'old event' }] }));
    const seen: LogEvent[] = [];
    const controller = new AbortController();
    const following = followLogs(logs, { logGroupName, logGroupArn: '', startTime, signal: controller.signal, intervalMs: 100, onEvent: (e) => seen.push(e) });
    await logs.send(
      new PutLogEventsCommand({ logGroupName, logStreamName: 'follow-test', logEvents: [{ timestamp: startTime + 1, message: 'new one' }, { timestamp: startTime + 2, message: 'new two' }] }),
    );
    await new Promise((r) => setTimeout(r, 600));
    controller.abort();
    await following;
    expect(seen.map((e) => e.message).filter((m) => m.startsWith('new') || m === 'old event')).toEqual(['new one', 'new two']);
  });

  it('polls for as long as it is left running without piling up abort listeners', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    const controller = new AbortController();
    const following = followLogs(logs, { logGroupName: `/aws/lambda/${stack}-ingest`, logGroupArn: '', startTime: Date.now(), signal: controller.signal, intervalMs: 5, onEvent: () => {} });
    // Far more polls than Node's limit of 10 listeners per signal.
    await new Promise((r) => setTimeout(r, 1500));
    controller.abort();
    await following;
    process.off('warning', onWarning);
    expect(warnings.filter((w) => /MaxListeners|memory leak/.test(w))).toEqual([]);
  });

  it('bridge invoke --local --follow prints the run\'s log lines and stops on Ctrl-C', async () => {
    const child = spawn(process.execPath, [new URL('../../bin/bridge.js', import.meta.url).pathname, 'invoke', '--stack', stack, '--local', '--follow'], {
      env: { ...process.env, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    for (let i = 0; i < 100 && !/Z function REPORT RequestId/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z function START RequestId: /m);
    expect(out.match(/Z function START RequestId: /g)).toHaveLength(1);
  });
});

describe('status and logs, after those runs', () => {
  it('status: the invoke URL, the newest object and its age, the last error, no drift, every resource by ARN', async () => {
    const run = await bridge(['status', '--stack', stack, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const status = JSON.parse(run.stdout);
    expect(status).toMatchObject({ stack, exists: true, region: 'us-east-1', account: LOCAL_ACCOUNT, drift: { inSync: true, resources: [], unreadable: [] } });
    expect(status.invokeUrl).toMatch(/^https:\/\/\w+\.execute-api\.us-east-1\.amazonaws\.com\/prod\/data$/);
    const versions = (await aws.s3.send(new ListObjectVersionsCommand({ Bucket }))).Versions ?? [];
    const newest = versions.filter((v) => v.IsLatest).sort((a, b) => (b.LastModified?.getTime() ?? 0) - (a.LastModified?.getTime() ?? 0))[0];
    expect(status.newestObject.key).toBe(newest?.Key);
    expect(status.newestObject.ageSeconds).toBeLessThan(600);
    // The runs against a failing source left error lines; the newest of them is the one shown.
    expect(status.lastError.message).toMatch(/^Invoke Error \w+Error: /);
    expect(status.lastError.requestId).toMatch(/^[0-9a-f-]{8,}$/);
    for (const r of status.resources) expect(r, r.kind).toMatchObject({ state: 'present', arn: expect.stringMatching(/^arn:aws:/) });
    const people = await bridge(['status', '--stack', stack]);
    expect(people.stdout).toMatch(/^ {2}newest data {2}raw\/\d{4}\/\d{2}\/\d{2}\/\S+, \d+ (s|min) ago \(\d+ bytes\)$/m);
    expect(people.stdout).toMatch(/^ {2}drift {8}in sync: setup would change nothing$/m);
  });

  it('status and logs are read-only: no mutating call, no lock', async () => {
    for (const args of [['status'], ['logs', '--since', '1h', '--api']]) {
      const run = await bridge([...args, '--stack', stack, '--verbose']);
      expect(run.code, run.stderr).toBe(0);
      expect(mutatingCalls(run)).toEqual([]);
      expect(run.stderr).not.toMatch(/stack lock/);
    }
  });

  it("status of a stack missing a part: names it missing, and does not ask for setup's inputs", async () => {
    await aws.ssm.send(new DeleteParameterCommand({ Name: `/${stack}/source/api-key` }));
    const run = await bridge(['status', '--stack', stack, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const status = JSON.parse(run.stdout);
    expect(status.resources.find((r: { kind: string }) => r.kind === 'source-api-key')).toMatchObject({ state: 'missing' });
    expect(status.drift.inSync).toBe(false);
    expect(status.drift.resources).toContain('Source API key missing');
    // Put back for the tests after this one.
    await setSource(source.weatherUrl, ['--source-key-in', 'query:appid', '--source-key-env', 'TEST_SOURCE_KEY']);
  });

  it('status of a stack that is not in the region: says so, exit 1', async () => {
    const run = await bridge(['status', '--stack', 'nosuchstack']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Nothing of stack nosuchstack exists in us-east-1: bridge setup creates it');
  });

  it("logs: the function's lines of the window, whole when not on a terminal, one JSON object each with --json", async () => {
    const run = await bridge(['logs', '--stack', stack, '--since', '1h']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z function START RequestId: /m);
    expect(run.stdout).toMatch(/Z function \{"level":"info","step":"store"/m);
    const lines = run.stdout.trim().split('\n');
    const times = lines.map((l) => Date.parse(l.slice(0, 24)));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const json = await bridge(['logs', '--stack', stack, '--since', '1h', '--json']);
    const events = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { logGroup: string; timestamp: string; requestId: string | null; message: string });
    expect(events).toHaveLength(lines.length);
    for (const e of events) expect(e.logGroup).toBe(`/aws/lambda/${stack}-ingest`);
    expect(events.find((e) => e.message.startsWith('START'))?.requestId).toMatch(/^[0-9a-f-]{8,}$/);
    // A window before the first run holds nothing, and says so.
    const none = await bridge(['logs', '--stack', stack, '--since', '2020-01-01T00:00:00Z', '--filter', 'no-such-word-anywhere']);
    expect(none.code).toBe(0);
  });

  it.each([
    [['logs', '--since', 'yesterday'], /invalid --since 'yesterday': give a duration back from now \(30s, 10m, 2h, 1d, 1w\) or a time/],
    [['logs', '--since', '2999-01-01T00:00:00Z'], /--since 2999-01-01T00:00:00Z is in the future/],
    [['logs', '--filter', ' '], /--filter is empty/],
  ])('%j exits 2 before any AWS call', async (args, message) => {
    const run = await bridge([...args, '--stack', stack]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});

describe('invoking on the local AWS without --local', () => {
  it('says it cannot run Lambda code there and what to use instead', async () => {
    const run = await bridge(['invoke', '--stack', stack]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot run Lambda code \(the local AWS has no Docker\): use bridge invoke --local/);
  });
});

describe('the source key', () => {
  it('never appears in any output, log event, object or its metadata', async () => {
    expect(outputs.join('\n')).not.toContain(TEST_SOURCE_KEY);
    const events = await logs.send(new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${stack}-ingest` }));
    expect((events.events ?? []).length).toBeGreaterThan(10);
    expect(JSON.stringify(events.events)).not.toContain(TEST_SOURCE_KEY);
    const versions = (await aws.s3.send(new ListObjectVersionsCommand({ Bucket }))).Versions ?? [];
    for (const v of versions) {
      const object = await aws.s3.send(new GetObjectCommand({ Bucket, Key: v.Key, VersionId: v.VersionId }));
      expect(JSON.stringify(object.Metadata) + (await object.Body?.transformToString())).not.toContain(TEST_SOURCE_KEY);
    }
  });
});
