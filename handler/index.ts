/**
 * The ingest function: fetch the source API with the key from SSM, store the JSON in S3 under
 * the stack key with a SHA-256 checksum S3 verifies. Needs nothing beyond the Lambda Node.js
 * runtime (which provides the AWS SDK v3 clients). One structured JSON log line per step; the key
 * and the URL's query never appear in logs, errors or the result.
 */
import { createHash } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  IngestError,
  isRetryableStatus,
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
  type HandlerSettings,
  type Trigger,
  type StoredObject,
} from './core.js';

interface LambdaContext {
  awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

// bridge's local mode points the SDK at a local AWS, which has no per-bucket host names.
const local = process.env.AWS_ENDPOINT_URL !== undefined;
const s3 = new S3Client(local ? { forcePathStyle: true } : {});
const ssm = new SSMClient({});

/** Time kept back for storing the object after the last fetch attempt. */
const STORE_RESERVE_MS = 2_000;

let cachedKey: { parameter: string; value: Promise<string> } | undefined;

/** Once per container: the key is decrypted by SSM with the stack key. */
function apiKey(parameterName: string): Promise<string> {
  if (cachedKey?.parameter !== parameterName) {
    const value = ssm.send(new GetParameterCommand({ Name: parameterName, WithDecryption: true })).then((r) => {
      if (!r.Parameter?.Value) throw new IngestError('ConfigurationError', `parameter ${parameterName} holds no value`);
      return r.Parameter.Value;
    });
    value.catch(() => (cachedKey = undefined));
    cachedKey = { parameter: parameterName, value };
  }
  return cachedKey.value;
}

type Log = (step: string, fields?: Record<string, unknown>) => void;

function logger(requestId: string, redact: (text: string) => string): Log {
  return (step, fields = {}) => {
    // One JSON line per step, as CloudWatch Logs Insights reads best.
    process.stdout.write(`${redact(JSON.stringify({ level: fields.error ? 'error' : 'info', step, requestId, ...fields }))}\n`);
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readCapped(response: Response, maxBytes: number, abort: AbortController): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    abort.abort();
    throw new IngestError('SourceError', `source answered ${declared} bytes, more than the ${maxBytes} allowed`, response.status);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  if (response.body) {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > maxBytes) {
        abort.abort();
        throw new IngestError('SourceError', `source answered more than the ${maxBytes} bytes allowed`, response.status);
      }
      chunks.push(Buffer.from(chunk));
    }
  }
  return Buffer.concat(chunks);
}

/** Calls the source with a timeout, retrying 429, 5xx and network errors, never past the deadline. */
async function fetchSource(settings: HandlerSettings, key: string, context: LambdaContext, log: Log): Promise<{ body: Buffer; status: number }> {
  const request = sourceRequest(settings.apiUrl, settings.keyPlacement, key);
  const where = publicUrl(settings.apiUrl);
  for (let attempt = 1; ; attempt++) {
    const budget = context.getRemainingTimeInMillis() - STORE_RESERVE_MS;
    if (budget < 100) throw new IngestError('SourceError', `no time left to call the source at ${where}`);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), Math.min(settings.timeoutMs, budget));
    const started = Date.now();
    let retryAfter: string | null = null;
    let failure: IngestError;
    try {
      const response = await fetch(request.url, { headers: request.headers, signal: abort.signal, redirect: 'error' });
      const body = await readCapped(response, settings.maxBytes, abort);
      log('fetch', { url: where, attempt, status: response.status, bytes: body.length, ms: Date.now() - started });
      if (!isRetryableStatus(response.status)) {
        parseJsonBody(response.status, response.headers.get('content-type'), body);
        return { body, status: response.status };
      }
      retryAfter = response.headers.get('retry-after');
      failure = new IngestError('SourceError', `source answered HTTP ${response.status}`, response.status);
    } catch (error) {
      if (error instanceof IngestError) throw error;
      const timedOut = abort.signal.aborted;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const code = cause?.code ?? cause?.message;
      failure = new IngestError('SourceError', timedOut ? `source did not answer within ${Date.now() - started} ms at ${where}` : `source unreachable at ${where}${code ? ` (${code})` : ''}`);
      log('fetch', { url: where, attempt, error: failure.message, ms: Date.now() - started });
    } finally {
      clearTimeout(timer);
    }
    const delay = retryDelayMs(attempt, retryAfter);
    const timeLeft = context.getRemainingTimeInMillis() - STORE_RESERVE_MS - delay;
    if (attempt >= settings.attempts || timeLeft < 200) throw failure;
    log('retry', { attempt, delayMs: delay, reason: failure.message });
    await sleep(delay);
  }
}

async function store(settings: HandlerSettings, body: Buffer, status: number, requestId: string, trigger: Trigger): Promise<StoredObject> {
  const digest = createHash('sha256').update(body);
  const sha256Base64 = digest.copy().digest('base64');
  const sha256 = digest.digest('hex');
  const fetchedAt = new Date();
  const key = objectKey(settings.prefix, fetchedAt, requestId);
  try {
    const result = await s3.send(
      new PutObjectCommand({
        Bucket: settings.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/json',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: settings.kmsKeyArn,
        BucketKeyEnabled: true,
        // S3 recomputes the SHA-256 and refuses the upload if it differs.
        ChecksumAlgorithm: 'SHA256',
        ChecksumSHA256: sha256Base64,
        Metadata: {
          'source-host': new URL(settings.apiUrl).host,
          'fetched-at': fetchedAt.toISOString(),
          'http-status': String(status),
          sha256,
          ...triggerMetadata(trigger),
        },
      }),
    );
    return { bucket: settings.bucket, key, versionId: result.VersionId ?? null, sha256, bytes: body.length };
  } catch (error) {
    throw new IngestError('StorageError', `could not store the object in ${settings.bucket}: ${(error as Error).name}: ${(error as Error).message}`);
  }
}

export async function handler(event: unknown, context: LambdaContext): Promise<StoredObject | ReturnType<typeof proxyResponse>> {
  const trigger = triggerOf(event);
  const viaApi = trigger.trigger === 'api';
  let redact = redactor(undefined);
  let log = logger(context.awsRequestId, redact);
  try {
    const settings = settingsFromEnv(process.env);
    log('start', { source: publicUrl(settings.apiUrl), bucket: settings.bucket, ...trigger });
    const cached = cachedKey?.parameter === settings.parameterName;
    const key = await apiKey(settings.parameterName);
    redact = redactor(key);
    log = logger(context.awsRequestId, redact);
    log('secret', { parameter: settings.parameterName, cached });
    const { body, status } = await fetchSource(settings, key, context, log);
    const object = await store(settings, body, status, context.awsRequestId, trigger);
    log('store', { key: object.key, versionId: object.versionId, bytes: object.bytes, sha256: object.sha256 });
    return viaApi ? proxyResponse({ ok: true, object }) : object;
  } catch (caught) {
    const error = caught instanceof Error ? caught : new Error(String(caught));
    // Same type, message cleaned of the key: this is what Lambda reports and the API returns.
    const safe = Object.assign(new Error(redact(error.message)), { name: error.name || 'Error' });
    log('error', { error: { type: safe.name, message: safe.message } });
    if (viaApi) return proxyResponse({ ok: false, error: safe });
    throw safe;
  }
}
