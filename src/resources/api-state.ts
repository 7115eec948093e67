/**
 * The REST API's state as bridge judges it, pure: the live method and stage, the intended ones,
 * the definition hash that names a deployment, what differs, and the stage patches that put it back.
 */
import { createHash } from 'node:crypto';
import type { PatchOperation } from '@aws-sdk/client-api-gateway';
import type { ApiAuth } from '../config.js';
import { tagsChange, type Tags } from './tags.js';
import type { FieldChange } from './types.js';

/** One JSON line per request: who called, what came back, how long it took. */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  ip: '$context.identity.sourceIp',
  caller: '$context.identity.caller',
  user: '$context.identity.user',
  userArn: '$context.identity.userArn',
  apiKeyId: '$context.identity.apiKeyId',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integration.error',
});

export interface MethodLive {
  authorizationType: string;
  apiKeyRequired: boolean;
  integration: { type: string; httpMethod: string; uri: string } | null;
}

export interface StageLive {
  deploymentId: string;
  deploymentDescription: string;
  tracingEnabled: boolean;
  accessLog: { destinationArn: string; format: string } | null;
  loggingLevel: string;
  dataTrace: boolean;
  rateLimit: number | null;
  burstLimit: number | null;
  tags: Tags;
}

export interface ApiLive {
  id: string;
  tags: Tags;
  rootResourceId: string;
  dataResourceId: string | null;
  method: MethodLive | null;
  stage: StageLive | null;
}

export interface ApiIntended {
  auth: ApiAuth;
  authorizationType: 'AWS_IAM' | 'NONE';
  apiKeyRequired: boolean;
  integrationUri: string;
  definitionHash: string;
  /** Null when API Gateway has no CloudWatch role to write logs with. */
  accessLog: { destinationArn: string; format: string } | null;
  loggingLevel: 'ERROR' | 'OFF';
  rateLimit: number;
  burstLimit: number;
  tags: Tags;
}

/** What a deployment freezes: the method and its integration. */
export function definitionHash(definition: { authorizationType: string; apiKeyRequired: boolean; integrationUri: string }): string {
  const text = JSON.stringify({ path: '/data', httpMethod: 'GET', ...definition, integration: { type: 'AWS_PROXY', httpMethod: 'POST' } });
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export const deploymentDescription = (hash: string) => `bridge definition ${hash}`;

/**
 * The stage says which definition its deployment holds, so a read needs no GetDeployment. Trusted
 * only while it names the stage's own deployment id: deployments are immutable, so a stage moved to
 * another deployment (by hand, or an older bridge) is read the long way.
 */
export const stageDescription = (hash: string, deploymentId: string) => `${deploymentDescription(hash)}, deployment ${deploymentId}`;

export function definitionFromStage(description: string | undefined, deploymentId: string | undefined): string | null {
  const match = /^(bridge definition [0-9a-f]+), deployment (\S+)$/.exec(description ?? '');
  return match && deploymentId && match[2] === deploymentId ? (match[1] as string) : null;
}

export function authOf(method: MethodLive | null): ApiAuth | undefined {
  if (!method) return undefined;
  if (method.authorizationType === 'AWS_IAM') return 'aws-iam';
  return method.apiKeyRequired ? 'api-key' : undefined;
}

function describeMethod(m: { authorizationType: string; apiKeyRequired: boolean } | null): string {
  if (!m) return 'missing';
  return `${m.authorizationType}${m.apiKeyRequired ? ' + API key' : ''}`;
}

export function diffApi(live: ApiLive | null, intended: ApiIntended): FieldChange[] {
  if (!live) {
    return ['resource', 'method', 'integration', 'deployment', 'stage', 'access-logging', 'execution-logging', 'throttling', 'tracing'].map((field) => ({ field }));
  }
  const changes: FieldChange[] = [];
  if (!live.dataResourceId) changes.push({ field: 'resource', after: '/data' });
  const m = live.method;
  if (!m || m.authorizationType !== intended.authorizationType || m.apiKeyRequired !== intended.apiKeyRequired) {
    changes.push({ field: 'method', before: describeMethod(m), after: describeMethod(intended) });
  }
  const i = m?.integration;
  if (!i || i.type !== 'AWS_PROXY' || i.httpMethod !== 'POST' || i.uri !== intended.integrationUri) {
    changes.push({ field: 'integration', before: i ? `${i.type} ${i.uri}` : 'missing', after: `AWS_PROXY ${intended.integrationUri}` });
  }
  const s = live.stage;
  if (!s) {
    changes.push({ field: 'deployment' }, { field: 'stage' }, { field: 'access-logging' }, { field: 'execution-logging' }, { field: 'throttling' }, { field: 'tracing' });
    return changes;
  }
  if (s.deploymentDescription !== deploymentDescription(intended.definitionHash)) {
    changes.push({ field: 'deployment', before: s.deploymentDescription || 'not made by bridge', after: deploymentDescription(intended.definitionHash) });
  }
  const log = intended.accessLog;
  if (log && (!s.accessLog || s.accessLog.destinationArn !== log.destinationArn || s.accessLog.format !== log.format)) {
    changes.push({ field: 'access-logging', before: s.accessLog?.destinationArn ?? 'off', after: log.destinationArn });
  }
  if (s.loggingLevel !== intended.loggingLevel || s.dataTrace) {
    // Data tracing would log whole requests and responses: it stays off.
    changes.push({ field: 'execution-logging', before: `${s.loggingLevel}${s.dataTrace ? ' with data trace' : ''}`, after: intended.loggingLevel });
  }
  if (s.rateLimit !== intended.rateLimit || s.burstLimit !== intended.burstLimit) {
    changes.push({ field: 'throttling', before: `${s.rateLimit ?? 'none'}/s burst ${s.burstLimit ?? 'none'}`, after: `${intended.rateLimit}/s burst ${intended.burstLimit}` });
  }
  if (!s.tracingEnabled) changes.push({ field: 'tracing', before: 'off', after: 'on' });
  changes.push(...tagsChange(s.tags, intended.tags).map((c) => ({ ...c, field: 'stage-tags' })));
  return changes;
}

/** The stage settings as patch operations, for what differs. */
export function stagePatches(fields: Set<string>, intended: ApiIntended): PatchOperation[] {
  const ops: PatchOperation[] = [];
  if (fields.has('access-logging') && intended.accessLog) {
    ops.push(
      { op: 'replace', path: '/accessLogSettings/destinationArn', value: intended.accessLog.destinationArn },
      { op: 'replace', path: '/accessLogSettings/format', value: intended.accessLog.format },
    );
  }
  if (fields.has('execution-logging')) {
    ops.push({ op: 'replace', path: '/*/*/logging/loglevel', value: intended.loggingLevel }, { op: 'replace', path: '/*/*/logging/dataTrace', value: 'false' });
  }
  if (fields.has('throttling')) {
    ops.push(
      { op: 'replace', path: '/*/*/throttling/rateLimit', value: String(intended.rateLimit) },
      { op: 'replace', path: '/*/*/throttling/burstLimit', value: String(intended.burstLimit) },
    );
  }
  if (fields.has('tracing')) ops.push({ op: 'replace', path: '/tracingEnabled', value: 'true' });
  return ops;
}
