/** The stack's resources, in the order a person reads them; the engine orders by dependsOn. */
import { apiAccountLogging } from './api-account-logging.js';
import { usagePlanKey } from './usage-plan-key.js';
import { apiPermission } from './api-permission.js';
import { restApi, restApiShell } from './api.js';
import { bucket } from './bucket.js';
import { executionRole } from './execution-role.js';
import { ingestFunction } from './function.js';
import { kmsKey, kmsKeyPolicy } from './kms-key.js';
import { apiExecutionLogGroup, apiLogGroup, functionLogGroup } from './log-group.js';
import { operators, operatorsPolicy } from './operators.js';
import { sourceApiKey } from './source-api-key.js';
import type { AnyResource } from './types.js';

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
];
