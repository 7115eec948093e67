import { isStackKey } from '../../names.js';
import { encryptionMatches, LIFECYCLE_RULE_ID, lifecycleRuleMatches, type BucketIntended, type BucketLive } from '../../resources/bucket-state.js';
import { describeStatementDifference, diffStatements, type PolicyStatement } from '../../policy.js';
import type { AuditSnapshot, Control, Verdict } from '../types.js';
import { awsPrincipals, fail, grantsOutside, intended, list, live, missing, pass, skip, whenPresent } from './verdicts.js';

const BUCKET_SOURCE = 'src/resources/bucket.ts';
const FIX = 'bridge audit --fix (or bridge setup) puts it back';

/** A Deny for everyone when aws:SecureTransport is false, over the bucket and its objects. */
export function tlsOnlyProblem(statements: PolicyStatement[], bucketArn: string): string | null {
  const denies = statements.filter((st) => st.Effect === 'Deny' && st.Condition?.Bool && String(list(st.Condition.Bool['aws:SecureTransport'])[0]).toLowerCase() === 'false');
  if (denies.length === 0) return 'no statement denies requests without TLS';
  const forEveryone = denies.filter((st) => awsPrincipals(st).includes('*'));
  if (forEveryone.length === 0) return 'the TLS-only Deny does not apply to every principal (Principal must be *)';
  const covers = (resource: string) => forEveryone.some((st) => list(st.Resource).includes(resource) && list(st.Action).some((a) => a === 's3:*' || a === '*'));
  const uncovered = [bucketArn, `${bucketArn}/*`].filter((r) => !covers(r));
  return uncovered.length > 0 ? `the TLS-only Deny does not cover ${uncovered.join(' and ')} for all actions` : null;
}

/** A bucket check: the live bucket and what it should be, or FAIL when there is no bucket. */
const onBucket = (judge: (b: { bucket: BucketLive; want: BucketIntended }, s: AuditSnapshot) => Verdict) =>
  whenPresent('bucket', (s) => s.names.bucketArn, 'the bucket', (bucket, s) => judge({ bucket, want: intended(s, 'bucket') }, s));

export const s3Controls: Control[] = [
  {
    id: 's3-public-access-block',
    title: 'All four bucket-level public-access blocks are on',
    severity: 'high',
    service: 's3',
    frameworks: [{ framework: 'Security Hub', id: 'S3.8' }, { framework: 'Prowler', id: 's3_bucket_level_public_access_block' }],
    remediation: `Turn on BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy and RestrictPublicBuckets; ${FIX}.`,
    source: BUCKET_SOURCE,
    reads: ['bucket'],
    fixes: ['bucket'],
    check: onBucket((b, s) => {
      const block = b.bucket.publicAccessBlock;
      const off = block ? Object.entries(block).filter(([, on]) => !on).map(([flag]) => flag) : ['all four (no configuration)'];
      return off.length === 0 ? pass(s.names.bucketArn, 'all four on') : fail(s.names.bucketArn, `off: ${off.join(', ')}`, { what: 'public access block', live: block, intended: b.want.publicAccessBlock });
    }),
  },
  {
    id: 's3-ownership-enforced',
    title: 'Object ownership is BucketOwnerEnforced (ACLs off)',
    severity: 'medium',
    service: 's3',
    frameworks: [{ framework: 'Security Hub', id: 'S3.12' }, { framework: 'Prowler', id: 's3_bucket_acl_prohibited' }],
    remediation: `Set object ownership to BucketOwnerEnforced; ${FIX}.`,
    source: BUCKET_SOURCE,
    reads: ['bucket'],
    fixes: ['bucket'],
    check: onBucket((b, s) => {
      return b.bucket.ownership === 'BucketOwnerEnforced' ? pass(s.names.bucketArn, 'ACLs disabled') : fail(s.names.bucketArn, `object ownership is ${b.bucket.ownership ?? 'not set'}: ACLs can grant access`);
    }),
  },
  {
    id: 's3-versioning',
    title: 'Versioning is enabled',
    severity: 'medium',
    service: 's3',
    frameworks: [{ framework: 'Security Hub', id: 'S3.14' }, { framework: 'Prowler', id: 's3_bucket_object_versioning' }],
    remediation: `Enable versioning; ${FIX}.`,
    source: BUCKET_SOURCE,
    reads: ['bucket'],
    fixes: ['bucket'],
    check: onBucket((b, s) => {
      return b.bucket.versioning === 'Enabled' ? pass(s.names.bucketArn, 'enabled') : fail(s.names.bucketArn, `versioning is ${b.bucket.versioning ?? 'never enabled'}: an overwrite or delete loses data`);
    }),
  },
  {
    id: 's3-default-encryption',
    title: 'Default encryption is SSE-KMS with the stack key, S3 Bucket Key on',
    severity: 'high',
    service: 's3',
    frameworks: [{ framework: 'Security Hub', id: 'S3.17' }, { framework: 'Prowler', id: 's3_bucket_kms_encryption' }],
    remediation: `Set default encryption to aws:kms with the stack key and Bucket Key enabled; ${FIX}.`,
    source: BUCKET_SOURCE,
    reads: ['bucket', 'kms-key'],
    fixes: ['bucket'],
    check: onBucket((b, s) => {
      const e = b.bucket.encryption;
      if (encryptionMatches(e, b.want)) return pass(s.names.bucketArn, `aws:kms with the stack key, bucket key on`);
      const evidence = { what: 'default encryption', live: e, intended: b.want.encryption };
      if (!e) return fail(s.names.bucketArn, 'no default encryption', evidence);
      if (e.algorithm !== 'aws:kms') return fail(s.names.bucketArn, `default encryption is ${e.algorithm}, not aws:kms with the stack key`, evidence);
      if (!e.bucketKey && e.keyId && [b.want.encryption.keyId, ...b.want.keyAliases].includes(e.keyId)) return fail(s.names.bucketArn, 'S3 Bucket Key is off', evidence);
      // Prowler passes the AWS managed aws/s3 key: the stack key is the one the policies control.
      return fail(s.names.bucketArn, `default encryption uses ${e.keyId ?? 'the AWS managed key'}, not the stack key`, evidence);
    }),
  },
  {
    id: 's3-tls-only',
    title: 'The bucket policy denies requests without TLS, for everyone, on the bucket and its objects',
    severity: 'medium',
    service: 's3',
    frameworks: [{ framework: 'Security Hub', id: 'S3.5' }, { framework: 'Prowler', id: 's3_bucket_secure_transport_policy' }],
    remediation: `Add the DenyInsecureTransport statement of templates/bucket-policy.json; ${FIX}.`,
    source: 'templates/bucket-policy.json',
    reads: ['bucket'],
    fixes: ['bucket'],
    check: onBucket((b, s) => {
      const problem = tlsOnlyProblem(b.bucket.policy?.Statement ?? [], s.names.bucketArn);
      return problem ? fail(s.names.bucketArn, problem, { what: 'bucket policy', live: b.bucket.policy, intended: b.want.policy }) : pass(s.names.bucketArn, 'TLS required for bucket and objects');
    }),
  },
  {
    id: 's3-policy',
    title: 'The bucket policy allows nothing to everyone or other accounts, and is the intended one',
    severity: 'critical',
    service: 's3',
    frameworks: [{ framework: 'Security Hub', id: 'S3.2' }, { framework: 'Security Hub', id: 'S3.3' }, { framework: 'Prowler', id: 's3_bucket_public_access' }, { framework: 'Prowler', id: 's3_bucket_policy_public_write_access' }],
    remediation: `Put back the intended bucket policy; ${FIX}; see templates/bucket-policy.json.`,
    source: 'templates/bucket-policy.json',
    reads: ['bucket'],
    fixes: ['bucket'],
    check: onBucket((b, s) => {
      const evidence = { what: 'bucket policy', live: b.bucket.policy, intended: b.want.policy };
      const outside = (b.bucket.policy?.Statement ?? []).map((st) => grantsOutside(st, s.names.account)).filter(Boolean);
      if (outside.length > 0) return fail(s.names.bucketArn, `the bucket policy ${outside.join('; ')}`, evidence);
      const lines = describeStatementDifference(diffStatements(b.bucket.policy, b.want.policy));
      return lines.length === 0 ? pass(s.names.bucketArn, 'the intended policy') : fail(s.names.bucketArn, `differs from the intended policy: ${lines.join('; ')}`, evidence);
    }),
  },
  {
    id: 's3-lifecycle',
    title: 'Noncurrent versions expire and incomplete uploads are aborted',
    severity: 'low',
    service: 's3',
    frameworks: [{ framework: 'Security Hub', id: 'S3.13' }, { framework: 'Prowler', id: 's3_bucket_lifecycle_enabled' }],
    remediation: `Restore the ${LIFECYCLE_RULE_ID} lifecycle rule; ${FIX}.`,
    source: BUCKET_SOURCE,
    reads: ['bucket'],
    fixes: ['bucket'],
    check: onBucket((b, s) => {
      const ours = b.bucket.lifecycle.find((r) => r.ID === LIFECYCLE_RULE_ID);
      return lifecycleRuleMatches(ours, b.want.lifecycleRule)
        ? pass(s.names.bucketArn, `noncurrent versions expire after ${b.want.lifecycleRule.NoncurrentVersionExpiration?.NoncurrentDays} days`)
        : fail(s.names.bucketArn, ours ? `rule ${LIFECYCLE_RULE_ID} differs from the intended one` : `no ${LIFECYCLE_RULE_ID} rule: old versions are kept forever`);
    }),
  },
  {
    id: 's3-objects-protected',
    title: 'The newest stored objects are SSE-KMS with the stack key and carry a SHA-256 checksum',
    severity: 'high',
    service: 's3',
    frameworks: [],
    remediation: 'Find the writer that bypasses the function (CloudTrail data events); objects already stored keep their encryption, so copy them over themselves with SSE-KMS and a SHA-256 checksum.',
    source: 'handler/index.ts',
    reads: ['bucket', 'objects', 'kms-key'],
    fixes: [],
    check(s) {
      if (!live(s, 'bucket')) return missing(s.names.bucketArn, 'the bucket');
      if (s.objects.length === 0) return skip(s.names.bucketArn, `no objects under ${s.dataPrefix} yet`);
      const bad = s.objects.flatMap((o) => {
        const problems = [
          ...(o.encryption !== 'aws:kms' ? [`encrypted ${o.encryption ?? 'not at all'}`] : !isStackKey(o.kmsKeyId, s.names, { arn: s.keyArn, id: s.keyId }) ? [`under key ${o.kmsKeyId}`] : []),
          ...(o.checksumSha256 ? [] : ['no SHA-256 checksum']),
        ];
        return problems.length > 0 ? [`${o.key}: ${problems.join(', ')}`] : [];
      });
      return bad.length === 0
        ? pass(s.names.bucketArn, `the newest ${s.objects.length} objects are under the stack key with a checksum`)
        : fail(s.names.bucketArn, bad.join('; '));
    },
  },
];
