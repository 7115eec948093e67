/**
 * In --api-auth api-key mode: a usage plan (throttling and a daily quota) on the prod stage, and
 * one API key in it. Its value is written to --api-key-file (mode 0600), never printed. Outside
 * that mode, a plan and key bridge made earlier are removed: a key nobody needs is a key to leak.
 */
import { existsSync, readFileSync } from 'node:fs';
import {
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanCommand,
  DeleteUsagePlanKeyCommand,
  GetApiKeyCommand,
  GetApiKeysCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  UpdateUsagePlanCommand,
} from '@aws-sdk/client-api-gateway';
import { NotOursError } from '../errors.js';
import { apiKeyArn, usagePlanArn } from '../names.js';
import { writeSecretFile } from '../secret.js';
import { isOurs, stackTags, type Tags } from './tags.js';
import { KNOWN_AFTER_APPLY, type FieldChange, type Resource, type StackContext } from './types.js';

export interface ApiKeyLive {
  plan: { id: string; rateLimit: number | null; burstLimit: number | null; quota: number | null; period: string | null; stages: string[] } | null;
  key: { id: string; enabled: boolean } | null;
  linked: boolean;
  /** Whether --api-key-file already holds this key's value. */
  fileCurrent: boolean;
  /** ARNs of other usage plans and keys of the stack's names tagged for it: the audit reports them. */
  duplicates?: string[];
}

export interface ApiKeyIntended {
  wanted: boolean;
  rateLimit: number;
  burstLimit: number;
  dailyQuota: number;
  stage: string;
  keyFile: string | null;
  tags: Tags;
}

/** The one of that name tagged ours (API Gateway does not keep names unique), and the ids of any others tagged ours. */
function findOurs<T extends { id?: string; name?: string; tags?: Tags }>(items: T[], name: string, stack: string, what: string): { ours: T | null; duplicates: string[] } {
  const named = items.filter((i) => i.name === name);
  const [ours, ...duplicates] = named.filter((i) => isOurs(i.tags, stack));
  if (!ours && named.length > 0) throw new NotOursError(what, name, 'Choose another --stack.');
  return { ours: ours ?? null, duplicates: duplicates.map((i) => i.id as string) };
}

export async function readApiKey(ctx: StackContext): Promise<ApiKeyLive | null> {
  const apigw = ctx.aws.apigateway;
  const plans = (await apigw.send(new GetUsagePlansCommand({ limit: 500 }))).items ?? [];
  const { ours: plan, duplicates: otherPlans } = findOurs(plans, ctx.names.apiUsagePlan, ctx.config.stack, 'usage plan');
  const keys = (await apigw.send(new GetApiKeysCommand({ limit: 500, nameQuery: ctx.names.apiKeyName }))).items ?? [];
  const { ours: key, duplicates: otherKeys } = findOurs(keys, ctx.names.apiKeyName, ctx.config.stack, 'API key');
  const duplicates = [...otherPlans.map((id) => usagePlanArn(ctx.names, id)), ...otherKeys.map((id) => apiKeyArn(ctx.names, id))];
  if (!plan && !key) return null;
  let linked = false;
  if (plan && key) {
    const planKeys = (await apigw.send(new GetUsagePlanKeysCommand({ usagePlanId: plan.id }))).items ?? [];
    linked = planKeys.some((k) => k.id === key.id);
  }
  let fileCurrent = false;
  const file = ctx.config.api.keyFile;
  if (key && file && existsSync(file)) {
    const value = (await apigw.send(new GetApiKeyCommand({ apiKey: key.id, includeValue: true }))).value ?? '';
    fileCurrent = value !== '' && readFileSync(file, 'utf8').trim() === value;
  }
  return {
    plan: plan
      ? {
          id: plan.id as string,
          rateLimit: plan.throttle?.rateLimit ?? null,
          burstLimit: plan.throttle?.burstLimit ?? null,
          quota: plan.quota?.limit ?? null,
          period: plan.quota?.period ?? null,
          stages: (plan.apiStages ?? []).map((s) => `${s.apiId}/${s.stage}`),
        }
      : null,
    key: key ? { id: key.id as string, enabled: key.enabled === true } : null,
    linked,
    fileCurrent,
    duplicates,
  };
}

export function apiKeyIntended(ctx: StackContext): ApiKeyIntended {
  const auth = ctx.config.api.auth ?? ctx.refs.apiAuth ?? 'aws-iam';
  return {
    wanted: auth === 'api-key',
    rateLimit: ctx.config.api.rateLimit,
    burstLimit: ctx.config.api.burstLimit,
    dailyQuota: ctx.config.api.dailyQuota,
    stage: `${ctx.refs.apiId ?? KNOWN_AFTER_APPLY}/${ctx.names.apiStage}`,
    keyFile: ctx.config.api.keyFile ?? null,
    tags: stackTags(ctx.config.stack),
  };
}

export function diffApiKey(live: ApiKeyLive | null, intended: ApiKeyIntended): FieldChange[] {
  if (!intended.wanted) return live ? [{ field: 'remove', before: 'usage plan and API key', after: 'none (the method uses AWS_IAM)' }] : [];
  const changes: FieldChange[] = [];
  const plan = live?.plan;
  if (!plan) changes.push({ field: 'usage-plan' });
  else {
    if (plan.rateLimit !== intended.rateLimit || plan.burstLimit !== intended.burstLimit) {
      changes.push({ field: 'throttling', before: `${plan.rateLimit ?? 'none'}/s burst ${plan.burstLimit ?? 'none'}`, after: `${intended.rateLimit}/s burst ${intended.burstLimit}` });
    }
    if (plan.quota !== intended.dailyQuota || plan.period !== 'DAY') {
      changes.push({ field: 'quota', before: `${plan.quota ?? 'none'} per ${plan.period ?? '-'}`, after: `${intended.dailyQuota} per DAY` });
    }
    if (!plan.stages.includes(intended.stage)) changes.push({ field: 'stage', after: intended.stage });
  }
  if (!live?.key) changes.push({ field: 'api-key' });
  if (!live?.linked) changes.push({ field: 'key-in-plan' });
  if (intended.keyFile && !live?.fileCurrent) changes.push({ field: 'key-file', after: `value written to ${intended.keyFile}` });
  return changes;
}

export const usagePlanKey: Resource<ApiKeyLive, ApiKeyIntended> = {
  kind: 'api-key',
  title: 'API usage plan and key',
  dependsOn: ['api'],
  ownership: {
    of: 'stack',
    retire: (live) => (live ? { action: 'remove' } : { action: 'absent' }),
    destroy: (ctx, live) => removePlanAndKey(ctx, live),
  },
  name: (ctx) => `${ctx.names.apiUsagePlan} / ${ctx.names.apiKeyName}`,
  read: (ctx) => readApiKey(ctx),
  intended: apiKeyIntended,
  diff: diffApiKey,
  async apply(ctx, live, intended, changes) {
    const apigw = ctx.aws.apigateway;
    const fields = new Set(changes.map((c) => c.field));
    if (fields.has('remove')) {
      if (live) await removePlanAndKey(ctx, live);
      return;
    }
    const [apiId, stage] = intended.stage.split('/') as [string, string];
    let planId = live?.plan?.id;
    if (!planId) {
      planId = (
        await apigw.send(
          new CreateUsagePlanCommand({
            name: ctx.names.apiUsagePlan,
            description: `bridge stack ${ctx.config.stack}: limits for callers of GET /data with an API key`,
            apiStages: [{ apiId, stage }],
            throttle: { rateLimit: intended.rateLimit, burstLimit: intended.burstLimit },
            quota: { limit: intended.dailyQuota, period: 'DAY' },
            tags: intended.tags,
          }),
        )
      ).id as string;
    } else {
      const ops = [
        ...(fields.has('throttling')
          ? [
              { op: 'replace' as const, path: '/throttle/rateLimit', value: String(intended.rateLimit) },
              { op: 'replace' as const, path: '/throttle/burstLimit', value: String(intended.burstLimit) },
            ]
          : []),
        ...(fields.has('quota')
          ? [
              { op: 'replace' as const, path: '/quota/limit', value: String(intended.dailyQuota) },
              { op: 'replace' as const, path: '/quota/period', value: 'DAY' },
            ]
          : []),
        ...(fields.has('stage') ? [{ op: 'add' as const, path: '/apiStages', value: `${apiId}:${stage}` }] : []),
      ];
      if (ops.length > 0) await apigw.send(new UpdateUsagePlanCommand({ usagePlanId: planId, patchOperations: ops }));
    }
    let keyId = live?.key?.id;
    if (!keyId) {
      keyId = (await apigw.send(new CreateApiKeyCommand({ name: ctx.names.apiKeyName, enabled: true, tags: intended.tags, description: `bridge stack ${ctx.config.stack}: calls GET /data` }))).id as string;
    }
    if (fields.has('key-in-plan')) await apigw.send(new CreateUsagePlanKeyCommand({ usagePlanId: planId, keyId, keyType: 'API_KEY' }));
    if (fields.has('key-file') && intended.keyFile) {
      const value = (await apigw.send(new GetApiKeyCommand({ apiKey: keyId, includeValue: true }))).value as string;
      writeSecretFile(intended.keyFile, `${value}\n`);
    }
  },
  describe: (ctx) => (apiKeyIntended(ctx).wanted ? { name: ctx.names.apiKeyName, usagePlan: ctx.names.apiUsagePlan } : null),
};

/** The key leaves the plan, the plan leaves its stages, then both go. */
async function removePlanAndKey(ctx: StackContext, live: ApiKeyLive): Promise<void> {
  const apigw = ctx.aws.apigateway;
  if (live.plan && live.key && live.linked) await apigw.send(new DeleteUsagePlanKeyCommand({ usagePlanId: live.plan.id, keyId: live.key.id }));
  if (live.plan) {
    if (live.plan.stages.length > 0) {
      await apigw.send(
        new UpdateUsagePlanCommand({
          usagePlanId: live.plan.id,
          patchOperations: live.plan.stages.map((s) => ({ op: 'remove', path: '/apiStages', value: s.replace('/', ':') })),
        }),
      );
    }
    await apigw.send(new DeleteUsagePlanCommand({ usagePlanId: live.plan.id }));
  }
  if (live.key) await apigw.send(new DeleteApiKeyCommand({ apiKey: live.key.id }));
}

