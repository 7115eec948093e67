/** An audit snapshot of an empty stack, for unit tests of controls and reports: override what a test needs. */
import type { AuditSnapshot } from '../../src/audit/types.js';
import type { StackNames } from '../../src/names.js';

export function emptySnapshot(names: StackNames, over: Partial<AuditSnapshot> = {}): AuditSnapshot {
  return {
    names,
    stack: names.stack,
    dataPrefix: 'raw/',
    keyArn: `arn:${names.partition}:kms:${names.region}:${names.account}:key/k`,
    keyId: 'k',
    now: new Date('2026-12-03T10:00:00Z'),
    lives: new Map(),
    intended: new Map(),
    errors: new Map(),
    managedPolicies: new Map(),
    objects: [],
    grants: [],
    inventory: { tagged: [], otherKeys: {}, otherBuckets: {} },
    localCodeSha256: null,
    deadLetterAgeSeconds: null,
    actions: new Map(),
    ...over,
  };
}
