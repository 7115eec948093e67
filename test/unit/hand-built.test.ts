/**
 * A hand-built stack judged (src/audit/hand-built/checks.ts), without AWS: one built right passes
 * what can be judged, a part that could not be read is ERROR for the controls that need it (never
 * PASS), and the controls that only mean something against bridge's intended state are SKIP.
 */
import { describe, expect, it } from 'vitest';
import { handBuiltReport } from '../../src/audit/hand-built/checks.js';
import type { HandBuilt } from '../../src/audit/hand-built/discover.js';
import { ALL_BLOCKED } from '../../src/resources/bucket-state.js';

const account = '111122223333';
const bucketArn = 'arn:aws:s3:::weather-data';
const keyArn = `arn:aws:kms:eu-west-1:${account}:key/k`;

function stack(over: Partial<HandBuilt> = {}): HandBuilt {
  return {
    account,
    region: 'eu-west-1',
    partition: 'aws',
    now: new Date('2026-12-08T10:00:00Z'),
    function: { name: 'fetch', arn: `arn:aws:lambda:eu-west-1:${account}:function:fetch`, runtime: 'nodejs22.x', roleArn: `arn:aws:iam::${account}:role/fetch`, environment: { BUCKET: 'weather-data' }, permissions: [] },
    role: {
      kind: 'role',
      name: 'fetch',
      arn: `arn:aws:iam::${account}:role/fetch`,
      trust: { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': account } } }] },
      policies: [{ name: 'write', kind: 'inline', document: { Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: `${bucketArn}/raw/*` }] } }],
    },
    buckets: [
      {
        name: 'weather-data',
        arn: bucketArn,
        foundBy: "the function's environment (BUCKET)",
        settings: {
          publicAccessBlock: ALL_BLOCKED,
          ownership: 'BucketOwnerEnforced',
          versioning: 'Enabled',
          encryption: { algorithm: 'aws:kms', keyId: keyArn, bucketKey: true },
          policy: { Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [bucketArn, `${bucketArn}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] },
          lifecycle: [{ ID: 'r', Status: 'Enabled', Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 365 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }],
        },
        key: { arn: keyArn, manager: 'CUSTOMER', rotation: true },
      },
    ],
    apis: [],
    logGroup: { name: '/aws/lambda/fetch', arn: `arn:aws:logs:eu-west-1:${account}:log-group:/aws/lambda/fetch`, retentionDays: 365, kmsKeyId: keyArn },
    operators: null,
    errors: new Map(),
    actions: new Map([['s3', ['PutObject', 'GetObject', 'DeleteObject', 'ListBucket']]]),
    discovered: [],
    ...over,
  };
}

const status = (h: HandBuilt) => new Map(handBuiltReport(h).results.map((r) => [r.id, r.status]));

describe('a hand-built stack, judged', () => {
  it('built right: every control that can be judged passes; none fails', () => {
    const report = handBuiltReport(stack());
    expect(report.results.filter((r) => r.status === 'FAIL')).toEqual([]);
    const s = status(stack());
    for (const id of ['iam-role-least-privilege', 'iam-role-trust', 's3-policy', 's3-public-access-block', 's3-tls-only', 's3-default-encryption', 's3-versioning', 's3-lifecycle', 'lambda-no-secrets-in-env', 'lambda-runtime-supported', 'logs-retention-encryption']) {
      expect([id, s.get(id)]).toEqual([id, 'PASS']);
    }
    expect(report.stack).toBe('function:fetch');
  });

  it('a part that could not be read is ERROR for the controls that need it, never PASS', () => {
    const s = status(stack({ role: null, errors: new Map([['role', 'GetRole: AccessDenied (iam:GetRole)']]) }));
    expect(s.get('iam-role-least-privilege')).toBe('ERROR');
    expect(s.get('iam-role-trust')).toBe('ERROR');
    expect(s.get('s3-versioning')).toBe('PASS');
  });

  it('names the grant a wildcard gives and a delete, by policy and statement', () => {
    const wide = stack();
    wide.role?.policies.push({ name: 'AmazonS3FullAccess', kind: 'AWS managed', arn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess', document: { Statement: [{ Sid: 'Full', Effect: 'Allow', Action: 's3:*', Resource: '*' }] } });
    const detail = handBuiltReport(wide).results.find((r) => r.id === 'iam-role-least-privilege')?.detail;
    expect(detail).toContain('AWS managed policy AmazonS3FullAccess statement Full allows s3:* (every action of the service)');
    expect(detail).toContain('on every bucket in the account');
    expect(detail).toContain('allows s3:DeleteObject: a stolen role can erase the data');
  });

  it('a deprecated runtime and the AWS managed key fail', () => {
    const old = stack({ function: { ...stack().function, runtime: 'python3.9' } });
    old.buckets[0]!.key = { arn: 'alias/aws/s3', manager: 'AWS', rotation: null };
    const s = status(old);
    expect(s.get('lambda-runtime-supported')).toBe('FAIL');
    expect(s.get('s3-default-encryption')).toBe('FAIL');
  });
});
