/** The pure diffs behind setup's plan: what counts as drift, and what does not. */
import { describe, expect, it } from 'vitest';
import { withWritesDenied } from '../../src/resources/bucket-data.js';
import { diffBucket, intendedLifecycleRule, type BucketIntended, type BucketLive } from '../../src/resources/bucket-state.js';
import { diffRole, type RoleIntended, type RoleLive } from '../../src/resources/execution-role.js';
import { diffOperators, type OperatorsIntended, type OperatorsLive } from '../../src/resources/operators.js';
import { diffSourceKey } from '../../src/resources/source-api-key.js';
import { Secret } from '../../src/secret.js';
import type { PolicyDocument } from '../../src/policy.js';
import { renderTemplate } from '../../src/templates.js';

const KEY = 'arn:aws:kms:us-east-1:1:key/k';
const policy: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::b' }] };

const intendedBucket: BucketIntended = {
  tags: { 'bridge:stack': 's' },
  publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
  ownership: 'BucketOwnerEnforced',
  versioning: 'Enabled',
  encryption: { algorithm: 'aws:kms', keyId: KEY, bucketKey: true },
  keyAliases: ['k', 'alias/s'],
  policy,
  lifecycleRule: intendedLifecycleRule(365),
};

const inSync: BucketLive = {
  tags: { 'bridge:stack': 's', team: 'data' },
  publicAccessBlock: { ...intendedBucket.publicAccessBlock },
  ownership: 'BucketOwnerEnforced',
  versioning: 'Enabled',
  encryption: { algorithm: 'aws:kms', keyId: KEY, bucketKey: true },
  policy,
  lifecycle: [intendedLifecycleRule(365)],
};

const fields = (changes: { field: string }[]) => changes.map((c) => c.field);

describe('bucket diff', () => {
  it('is empty when in sync, with tags and lifecycle rules a user added left alone', () => {
    expect(diffBucket({ ...inSync, lifecycle: [{ ID: 'theirs', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 } }, intendedLifecycleRule(365)] }, intendedBucket)).toEqual([]);
  });

  it('accepts the stack key by its id or alias as well as its ARN', () => {
    expect(diffBucket({ ...inSync, encryption: { algorithm: 'aws:kms', keyId: 'k', bucketKey: true } }, intendedBucket)).toEqual([]);
    expect(diffBucket({ ...inSync, encryption: { algorithm: 'aws:kms', keyId: 'alias/s', bucketKey: true } }, intendedBucket)).toEqual([]);
  });

  it.each<[string, Partial<BucketLive>, string]>([
    ['AES256', { encryption: { algorithm: 'AES256', bucketKey: false } }, 'encryption'],
    ['the AWS managed key', { encryption: { algorithm: 'aws:kms', keyId: 'alias/aws/s3', bucketKey: true } }, 'encryption'],
    ['bucket key off', { encryption: { algorithm: 'aws:kms', keyId: KEY, bucketKey: false } }, 'encryption'],
    ['versioning suspended', { versioning: 'Suspended' }, 'versioning'],
    ['never versioned', { versioning: null }, 'versioning'],
    ['one public-access flag off', { publicAccessBlock: { ...intendedBucket.publicAccessBlock, RestrictPublicBuckets: false } }, 'public-access-block'],
    ['ACLs enabled', { ownership: 'ObjectWriter' }, 'object-ownership'],
    ['our tag missing', { tags: {} }, 'tags'],
    ['lifecycle days changed', { lifecycle: [intendedLifecycleRule(30)] }, 'lifecycle'],
    ['lifecycle rule disabled', { lifecycle: [{ ...intendedLifecycleRule(365), Status: 'Disabled' }] }, 'lifecycle'],
    ['lifecycle narrowed to a prefix', { lifecycle: [{ ...intendedLifecycleRule(365), Filter: { Prefix: 'raw/' } }] }, 'lifecycle'],
    ['policy deleted', { policy: null }, 'policy'],
  ])('sees %s', (_, change, field) => {
    expect(fields(diffBucket({ ...inSync, ...change }, intendedBucket))).toEqual([field]);
  });

  it('lists every field for a new bucket', () => {
    expect(fields(diffBucket(null, intendedBucket))).toEqual(['bucket', 'tags', 'public-access-block', 'object-ownership', 'versioning', 'encryption', 'policy', 'lifecycle']);
  });
});

describe('role diff', () => {
  const doc = (action: string): PolicyDocument => ({ Statement: [{ Effect: 'Allow', Action: action, Resource: 'r' }] });
  const intended: RoleIntended = { wanted: true, policyName: 'p', trust: doc('sts:AssumeRole'), policy: doc('s3:PutObject'), tags: { 'bridge:stack': 's' } };
  const live: RoleLive = { arn: 'a', tags: { 'bridge:stack': 's' }, trust: doc('sts:AssumeRole'), policies: { inline: { p: doc('s3:PutObject') }, attached: [] } };

  it('is empty when in sync', () => expect(diffRole(live, intended)).toEqual([]));

  it('names managed policies and other inline policies as extra access', () => {
    const changes = diffRole({ ...live, policies: { inline: { p: doc('s3:PutObject'), S3AccessPolicy: doc('s3:*') }, attached: ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'] } }, intended);
    expect(changes).toEqual([
      { field: 'other-policies', details: ['- inline policy S3AccessPolicy', '- managed policy arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'] },
    ]);
  });

  it('sees the inline policy missing', () => {
    expect(fields(diffRole({ ...live, policies: { inline: {}, attached: [] } }, intended))).toEqual(['inline-policy']);
  });
});

describe('operators diff', () => {
  const intended: OperatorsIntended = { tags: { 'bridge:stack': 's' }, group: 'g', keyFile: null };
  const live: OperatorsLive = {
    group: { arn: 'g', members: [], policies: { inline: {}, attached: [] } },
    user: { arn: 'u', tags: { 'bridge:stack': 's' }, policies: { inline: {}, attached: [] }, groups: ['g'], accessKeys: [] },
    keyFileAccessKeyId: null,
  };

  it('is empty when in sync', () => expect(diffOperators(live, intended)).toEqual([]));

  it('wants a new access key only when the key file does not name an active key of the user', () => {
    const wantsKey = { ...intended, keyFile: '/tmp/k' };
    expect(fields(diffOperators(live, wantsKey))).toEqual(['access-key']);
    const withKey = { ...live, keyFileAccessKeyId: 'AKIA1', user: { ...live.user!, accessKeys: [{ id: 'AKIA1', status: 'Active' }] } };
    expect(diffOperators(withKey, wantsKey)).toEqual([]);
    const inactive = { ...withKey, user: { ...withKey.user, accessKeys: [{ id: 'AKIA1', status: 'Inactive' }] } };
    expect(fields(diffOperators(inactive, wantsKey))).toEqual(['access-key']);
  });

  it('sees a user outside the group and a user with policies of its own', () => {
    const drifted = { ...live, user: { ...live.user!, groups: [], policies: { inline: {}, attached: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] } } };
    expect(fields(diffOperators(drifted, intended))).toEqual(['membership', 'user-policies']);
  });
});

describe('source key diff', () => {
  const intended = { keyArn: KEY, keyNames: ['k', 'alias/s'], tags: { 'bridge:stack': 's' }, value: new Secret('secret-value-1') };

  it('says a new value comes, never what it is', () => {
    const changes = diffSourceKey({ type: 'SecureString', keyId: KEY, tags: { 'bridge:stack': 's' }, valueMatches: false }, intended);
    expect(changes).toEqual([{ field: 'value', after: 'new value (not shown)' }]);
    expect(JSON.stringify(changes)).not.toContain('secret-value-1');
  });

  it('sees a plain String and a key by another key', () => {
    expect(fields(diffSourceKey({ type: 'String', keyId: null, tags: { 'bridge:stack': 's' }, valueMatches: true }, intended))).toEqual(['type', 'encryption-key']);
    expect(diffSourceKey({ type: 'SecureString', keyId: 'alias/s', tags: { 'bridge:stack': 's' }, valueMatches: null }, intended)).toEqual([]);
  });
});

describe("teardown's deny-writes step", () => {
  it('adds its Deny to the live bucket policy, keeping TLS-only and the key pinning while the data is there', () => {
    const live = renderTemplate('bucket-policy', { BucketArn: 'arn:aws:s3:::b', KeyArn: 'arn:aws:kms:us-east-1:1:key/k' });
    const merged = withWritesDenied(live, 'arn:aws:s3:::b');
    expect(merged.Statement.map((s) => s.Sid)).toEqual(['DenyInsecureTransport', 'DenyUploadsNamingAnotherKmsKey', 'DenyUploadsNamingOtherEncryption', 'TeardownDenyWrites']);
    expect(merged.Statement.at(-1)).toEqual({ Sid: 'TeardownDenyWrites', Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/*' });
    // Run again after a failed teardown: one Deny, not two.
    expect(withWritesDenied(merged, 'arn:aws:s3:::b').Statement).toHaveLength(4);
    expect(withWritesDenied(null, 'arn:aws:s3:::b').Statement).toHaveLength(1);
  });
});
