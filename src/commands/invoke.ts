/** `bridge invoke`: run the function (on Lambda, or --local here), show its result, log tail and logs. */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { handlerBundle } from '../bundle.js';
import { BridgeError, ExitCode, UsageError } from '../errors.js';
import { followFunctionLogs } from './logs.js';
import type { Invocation } from '../invoke/invocation.js';
import { deployedConfiguration, invokeLocally } from '../invoke/local.js';
import { callApi, readApiKeyFile, signRequest } from '../invoke/api.js';
import { invokeRemotely } from '../invoke/remote.js';
import { apiArns } from '../names.js';
import { readApi } from '../resources/api.js';
import { parseReport } from '../invoke/report.js';
import type { Ui } from '../output.js';
import type { StackContext } from '../resources/types.js';
import { withStack } from './context.js';
import { invocationLines } from '../render/invoke.js';
import type { InvokeOptions, PreparedInvoke } from './options.js';
import type { StoredObject } from '../../handler/core.js';

export interface InvokeJson {
  statusCode: number;
  payload: unknown;
  logTail: string;
  durationMs: number | null;
  object?: StoredObject;
  functionError?: string;
}

/** --payload JSON or @file, checked before anything runs. */
/** The handler's result names the object it stored. */
export function storedObject(payload: unknown): StoredObject | null {
  const p = payload as Partial<StoredObject> | null;
  if (!p || typeof p !== 'object' || typeof p.bucket !== 'string' || typeof p.key !== 'string' || typeof p.sha256 !== 'string') return null;
  return { bucket: p.bucket, key: p.key, versionId: p.versionId ?? '', sha256: p.sha256, bytes: Number(p.bytes ?? 0) };
}

/** What S3 says about the object: its KMS key and whether its own SHA-256 matches the result. */
async function objectEvidence(ctx: StackContext, object: StoredObject): Promise<{ kmsKey?: string; checksumMatches?: boolean } | null> {
  try {
    const head = await ctx.aws.s3.send(
      new HeadObjectCommand({ Bucket: object.bucket, Key: object.key, ...(object.versionId ? { VersionId: object.versionId } : {}), ChecksumMode: 'ENABLED' }),
    );
    const evidence: { kmsKey?: string; checksumMatches?: boolean } = {};
    if (head.SSEKMSKeyId) evidence.kmsKey = head.SSEKMSKeyId;
    if (head.ChecksumSHA256) evidence.checksumMatches = Buffer.from(head.ChecksumSHA256, 'base64').toString('hex') === object.sha256;
    return evidence;
  } catch {
    return null;
  }
}

function errorOf(invocation: Invocation): { type: string; message: string } {
  const p = invocation.payload as { errorType?: string; errorMessage?: string } | string | null;
  if (p && typeof p === 'object') return { type: p.errorType ?? invocation.functionError ?? 'Error', message: p.errorMessage ?? '' };
  return { type: invocation.functionError ?? 'Error', message: String(p ?? '') };
}

export async function runInvoke({ config, event }: PreparedInvoke, options: InvokeOptions, ui: Ui): Promise<number> {
  const apiKey = options.apiKeyFile ? readApiKeyFile(options.apiKeyFile) : undefined;
  if (apiKey) ui.redact(apiKey);
  if (options.viaApi) return withStack(config, {}, ui, (ctx) => invokeViaApi(ctx, apiKey, ui));
  const c = ui.chalk;
  return withStack(config, {}, ui, async (ctx) => {
    const startedAt = Date.now();
    ui.working(`invoking ${ctx.names.functionName}${options.local ? ' locally' : ''}`);
    if (options.local) {
      // The same code as deployed, or a warning: local runs use this machine's handler.
      const [deployed, bundle] = await Promise.all([deployedConfiguration(ctx), handlerBundle()]);
      if (deployed.CodeSha256 !== bundle.codeSha256) {
        ui.err(c.yellow(`note: the deployed code differs from this bridge's handler; run bridge setup to deploy it`));
      }
    }
    const invocation = options.local
      ? await invokeLocally(ctx, event, (message) => ui.err(c.yellow(`note: ${message}`)))
      : await invokeRemotely(ctx, event, options.tail === true || ui.options.json);
    ui.idle();
    const report = parseReport(invocation.logTail);
    const object = invocation.functionError ? null : storedObject(invocation.payload);
    if (ui.options.json) {
      const json: InvokeJson = { statusCode: invocation.statusCode, payload: invocation.payload, logTail: invocation.logTail, durationMs: report?.durationMs ?? null };
      if (object) json.object = object;
      if (invocation.functionError) json.functionError = invocation.functionError;
      ui.json(json);
    } else {
      await printInvocation(ctx, invocation, object, options, ui);
    }
    if (options.follow) await followFunctionLogs(ctx, startedAt, ui);
    if (invocation.functionError) {
      const error = errorOf(invocation);
      throw new BridgeError(`the function failed: ${error.type}: ${error.message}`);
    }
    return ExitCode.ok;
  });
}

async function printInvocation(ctx: StackContext, invocation: Invocation, object: StoredObject | null, options: InvokeOptions, ui: Ui): Promise<void> {
  const evidence = object && !invocation.functionError ? await objectEvidence(ctx, object) : null;
  const lines = invocationLines({ functionName: ctx.names.functionName, invocation, object, evidence, tail: options.tail === true }, ui.chalk);
  for (const line of lines) ui.out(line);
}

/** GET /data on the stage, as a client: SigV4 from the caller's credentials, or the API key. */
async function invokeViaApi(ctx: StackContext, apiKey: string | undefined, ui: Ui): Promise<number> {
  const api = await readApi(ctx);
  if (!api?.stage) throw new UsageError(`the API ${ctx.names.apiName} is not deployed in ${ctx.config.region}: run bridge setup first`);
  const { invokeUrl } = apiArns(ctx.names, api.id);
  const request = apiKey
    ? { url: invokeUrl, headers: { 'x-api-key': apiKey } }
    : await signRequest(invokeUrl, { region: ctx.config.region, credentials: await ctx.aws.lambda.config.credentials() });
  const response = await callApi(request);
  let payload: unknown = response.body;
  try {
    payload = JSON.parse(response.body);
  } catch {
    // Not JSON: keep the text.
  }
  const object = response.status === 200 ? storedObject(payload) : null;
  if (ui.options.json) {
    const json: InvokeJson = { statusCode: response.status, payload, logTail: '', durationMs: response.latencyMs };
    if (object) json.object = object;
    ui.json(json);
  } else {
    const c = ui.chalk;
    const ok = response.status >= 200 && response.status < 300;
    ui.out(`${ok ? c.green('✓') : c.red('x')} GET ${invokeUrl} -> ${response.status} in ${response.latencyMs} ms (${apiKey ? 'API key' : 'SigV4'})`);
    ui.out(typeof payload === 'string' ? payload : JSON.stringify(payload, null, 2));
  }
  if (response.status === 403) throw new BridgeError('the API refused the call (403): check the caller may execute-api:Invoke this method, or the API key');
  if (response.status >= 400) throw new BridgeError(`the API answered ${response.status}`);
  return ExitCode.ok;
}

