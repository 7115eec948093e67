/**
 * The data bucket's state as bridge judges it, pure: what the live bucket and the intended one
 * hold, and what differs between them (setup's diff and the audit's S3 controls read the same).
 */
import type { LifecycleRule } from '@aws-sdk/client-s3';
import { describeStatementDifference, diffStatements, type PolicyDocument } from '../policy.js';
import { tagsChange, type Tags } from './tags.js';
import type { FieldChange } from './types.js';

export const LIFECYCLE_RULE_ID = 'bridge-version-retention';

export const ABORT_MULTIPART_DAYS = 7;

export interface PublicAccessBlock {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
}

export interface BucketEncryption {
  algorithm: string;
  keyId?: string;
  bucketKey: boolean;
}

export interface BucketLive {
  tags: Tags;
  publicAccessBlock: PublicAccessBlock | null;
  ownership: string | null;
  versioning: string | null;
  encryption: BucketEncryption | null;
  policy: PolicyDocument | null;
  lifecycle: LifecycleRule[];
}

export interface BucketIntended {
  tags: Tags;
  publicAccessBlock: PublicAccessBlock;
  ownership: 'BucketOwnerEnforced';
  versioning: 'Enabled';
  encryption: BucketEncryption;
  /** The same key by its other names (id, alias): any of them counts as the stack key. */
  keyAliases: string[];
  policy: PolicyDocument;
  lifecycleRule: LifecycleRule;
}

export const ALL_BLOCKED: PublicAccessBlock = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

export function intendedLifecycleRule(noncurrentDays: number): LifecycleRule {
  return {
    ID: LIFECYCLE_RULE_ID,
    Status: 'Enabled',
    Filter: { Prefix: '' },
    NoncurrentVersionExpiration: { NoncurrentDays: noncurrentDays },
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: ABORT_MULTIPART_DAYS },
  };
}

/** Our rule as it matters: enabled, whole bucket, the two limits. */
export function lifecycleRuleMatches(rule: LifecycleRule | undefined, intended: LifecycleRule): boolean {
  if (!rule || rule.Status !== 'Enabled') return false;
  const prefix = rule.Filter?.Prefix ?? rule.Prefix ?? '';
  const filterIsWholeBucket = prefix === '' && !rule.Filter?.Tag && !rule.Filter?.And && rule.Filter?.ObjectSizeGreaterThan === undefined;
  return (
    filterIsWholeBucket &&
    rule.NoncurrentVersionExpiration?.NoncurrentDays === intended.NoncurrentVersionExpiration?.NoncurrentDays &&
    rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation === intended.AbortIncompleteMultipartUpload?.DaysAfterInitiation
  );
}

export function encryptionMatches(live: BucketEncryption | null, intended: BucketIntended): boolean {
  return (
    live !== null &&
    live.algorithm === 'aws:kms' &&
    live.keyId !== undefined &&
    [intended.encryption.keyId, ...intended.keyAliases].includes(live.keyId) &&
    live.bucketKey
  );
}

function describeEncryption(e: BucketEncryption | null): string {
  if (!e) return 'none';
  return `${e.algorithm}${e.keyId ? ` ${e.keyId}` : ''}${e.bucketKey ? ', bucket key' : ''}`;
}

export function diffBucket(live: BucketLive | null, intended: BucketIntended): FieldChange[] {
  if (!live) {
    return ['bucket', 'tags', 'public-access-block', 'object-ownership', 'versioning', 'encryption', 'policy', 'lifecycle'].map((field) => ({ field }));
  }
  const changes: FieldChange[] = [...tagsChange(live.tags, intended.tags)];
  const pab = live.publicAccessBlock;
  const offFlags = (Object.keys(ALL_BLOCKED) as (keyof PublicAccessBlock)[]).filter((flag) => !pab?.[flag]);
  if (offFlags.length > 0) changes.push({ field: 'public-access-block', before: `${offFlags.join(', ')} off`, after: 'all four on' });
  if (live.ownership !== intended.ownership) changes.push({ field: 'object-ownership', before: live.ownership ?? 'none', after: intended.ownership });
  if (live.versioning !== intended.versioning) changes.push({ field: 'versioning', before: live.versioning ?? 'never enabled', after: intended.versioning });
  if (!encryptionMatches(live.encryption, intended)) {
    changes.push({ field: 'encryption', before: describeEncryption(live.encryption), after: describeEncryption(intended.encryption) });
  }
  const policyDifference = diffStatements(live.policy, intended.policy);
  if (policyDifference.extra.length + policyDifference.missing.length > 0) {
    changes.push({ field: 'policy', details: describeStatementDifference(policyDifference) });
  }
  const ours = live.lifecycle.find((rule) => rule.ID === LIFECYCLE_RULE_ID);
  if (!lifecycleRuleMatches(ours, intended.lifecycleRule)) {
    changes.push({
      field: 'lifecycle',
      before: ours ? `rule ${LIFECYCLE_RULE_ID} differs` : `rule ${LIFECYCLE_RULE_ID} missing`,
      after: `noncurrent versions expire after ${intended.lifecycleRule.NoncurrentVersionExpiration?.NoncurrentDays} days, incomplete uploads aborted after ${ABORT_MULTIPART_DAYS}`,
    });
  }
  return changes;
}
