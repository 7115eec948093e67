/** The stack's resources, in the order a person reads them; the engine orders by dependsOn. */
import { bucket } from './bucket.js';
import { executionRole } from './execution-role.js';
import { ingestFunction } from './function.js';
import { functionLogGroup } from './log-group.js';
import { kmsKey, kmsKeyPolicy } from './kms-key.js';
import { operators } from './operators.js';
import { sourceApiKey } from './source-api-key.js';
import type { AnyResource } from './types.js';

export const STACK_RESOURCES: readonly AnyResource[] = [
  kmsKey,
  bucket,
  executionRole,
  operators,
  sourceApiKey,
  kmsKeyPolicy,
  functionLogGroup,
  ingestFunction,
];
