/** The stack's resources, in the order a person reads them; the engine orders by dependsOn. */
import { apiAccountLogging } from './api-account-logging.js';
import { usagePlanKey } from './usage-plan-key.js';
import { apiPermission } from './api-permission.js';
import { restApi, restApiShell } from './api.js';
import { bucket } from './bucket.js';
import { executionRole } from './execution-role.js';
import { ingestFunction } from './function.js';
import { kmsKey } from './kms-key.js';
import { kmsKeyPolicy } from './kms-key-policy.js';
import { apiExecutionLogGroup, apiLogGroup, functionLogGroup } from './log-group.js';
import { operators, operatorsPolicy } from './operators.js';
import { functionAsyncConfig } from './function-async.js';
import { ingestSchedule } from './schedule.js';
import { scheduleDeadLetterQueue } from './schedule-dlq.js';
import { schedulerRole } from './scheduler-role.js';
import { sourceApiKey } from './source-api-key.js';
import type { PrincipalPolicies } from './iam-policies.js';
import { liveFrom, type AnyResource, type Resource } from './types.js';

export const STACK_RESOURCES: readonly AnyResource[] = [
  kmsKey,
  restApiShell,
  bucket,
  executionRole,
  operators,
  sourceApiKey,
  kmsKeyPolicy,
  functionLogGroup,
  ingestFunction,
  apiAccountLogging,
  apiLogGroup,
  apiExecutionLogGroup,
  restApi,
  apiPermission,
  usagePlanKey,
  operatorsPolicy,
  scheduleDeadLetterQueue,
  schedulerRole,
  functionAsyncConfig,
  ingestSchedule,
];

/** Every resource by its kind: the compiler knows each kind's live and intended state from here. */
export const RESOURCES_BY_KIND = {
  'kms-key': kmsKey,
  'rest-api': restApiShell,
  bucket,
  'execution-role': executionRole,
  operators,
  'source-api-key': sourceApiKey,
  'kms-key-policy': kmsKeyPolicy,
  'function-log-group': functionLogGroup,
  function: ingestFunction,
  'api-account-logging': apiAccountLogging,
  'api-log-group': apiLogGroup,
  'api-execution-log-group': apiExecutionLogGroup,
  api: restApi,
  'api-permission': apiPermission,
  'api-key': usagePlanKey,
  'operators-policy': operatorsPolicy,
  'schedule-dlq': scheduleDeadLetterQueue,
  'scheduler-role': schedulerRole,
  'function-async': functionAsyncConfig,
  schedule: ingestSchedule,
} as const;

type ByKind = typeof RESOURCES_BY_KIND;
export type Kind = keyof ByKind;
export type LiveOf<K extends Kind> = ByKind[K] extends Resource<infer Live, infer _Intended> ? Live : never;
export type IntendedOf<K extends Kind> = ByKind[K] extends Resource<infer _Live, infer Intended> ? Intended : never;

/** A kind's live state from what the engine read (null: absent, or not read), typed by kind. */
export function liveOf<K extends Kind>(lives: ReadonlyMap<string, unknown>, kind: K): LiveOf<K> | null {
  return liveFrom(lives, RESOURCES_BY_KIND[kind] as Resource<LiveOf<K>, unknown>);
}

/** A kind's intended state, as the audit's snapshot holds it. */
export function intendedOf<K extends Kind>(intended: ReadonlyMap<string, unknown>, kind: K): IntendedOf<K> | undefined {
  return intended.get(kind) as IntendedOf<K> | undefined;
}

/** The policies every principal of the stack holds: inline documents and attached managed ones. */
export function principalPolicies(lives: ReadonlyMap<string, unknown>): { principal: string; arn: string; policies: PrincipalPolicies }[] {
  const role = liveOf(lives, 'execution-role');
  const operators = liveOf(lives, 'operators');
  const out: { principal: string; arn: string; policies: PrincipalPolicies }[] = [];
  if (role) out.push({ principal: 'execution role', arn: role.arn, policies: role.policies });
  const scheduler = liveOf(lives, 'scheduler-role');
  if (scheduler) out.push({ principal: 'scheduler role', arn: scheduler.arn, policies: scheduler.policies });
  if (operators?.group) out.push({ principal: 'operators group', arn: operators.group.arn, policies: operators.group.policies });
  if (operators?.user) out.push({ principal: 'operator user', arn: operators.user.arn, policies: operators.user.policies });
  return out;
}
