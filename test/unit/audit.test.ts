/** Controls judged on snapshots: the states the local AWS cannot hold, and the reasoning itself. */
import { describe, expect, it } from 'vitest';
import { CONTROLS } from '../../src/audit/controls/index.js';
import { tlsOnlyProblem } from '../../src/audit/controls/s3.js';
import { compareGrants, describeGrants, expandAction, grantsOf, type ActionCatalogue } from '../../src/audit/permissions.js';
import { SECURITY_SEVERITY, fingerprint } from '../../src/audit/report/sarif.js';
import { failingAtOrAbove, judge, summarize } from '../../src/audit/run.js';
import type { AuditSnapshot } from '../../src/audit/types.js';
import { stackNames } from '../../src/names.js';
import { emptySnapshot } from '../support/audit-snapshot.js';
import type { KeyGrant } from '../../src/resources/kms-key.js';

const catalogue: ActionCatalogue = new Map([
  // As the IAM action list spells them.
  ['s3', ['GetObject', 'PutObject', 'DeleteObject', 'ListBucket', 'PutBucketPolicy']],
  ['iam', ['PassRole', 'GetRole', 'PutRolePolicy']],
]);

function snapshot(over: Partial<AuditSnapshot> = {}): AuditSnapshot {
  return emptySnapshot(stackNames('s12', '111122223333', 'us-east-1'), { keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k', now: new Date('2026-11-28T00:00:00Z'), localCodeSha256: 'abc', actions: catalogue, ...over });
}

const control = (id: string) => CONTROLS.find((c) => c.id === id)!;

describe('the catalogue', () => {
  it('holds the contract ids, each with a title, severity, remediation and a source file', () => {
    expect(CONTROLS.map((c) => c.id)).toEqual(expect.arrayContaining(['kms-key-enabled', 's3-tls-only', 'iam-no-privilege-escalation', 'lambda-code-integrity', 'api-auth-required']));
    expect(new Set(CONTROLS.map((c) => c.id)).size).toBe(CONTROLS.length);
    for (const c of CONTROLS) {
      expect(c.title.length).toBeGreaterThan(10);
      expect(c.remediation.length).toBeGreaterThan(10);
      expect(['critical', 'high', 'medium', 'low', 'info']).toContain(c.severity);
      expect(c.source).toMatch(/^(templates|src|handler)\//);
    }
  });
});

describe('every result names its resource in full', () => {
  it('by ARN (or "stack S" for the stack as a whole), and its fix by real names, on a stack with nothing in it', () => {
    const empty = snapshot();
    for (const c of CONTROLS) {
      const result = judge(c, empty);
      expect(result.resource, c.id).toMatch(/^(arn:aws:[a-z0-9-]+:|stack s12$)/);
      expect(result.remediation, c.id).not.toMatch(/\bS-|\bSTACK\b|\{\w+\}/);
    }
  });
});

describe('states the local AWS cannot hold', () => {
  it('lambda-tracing fails on PassThrough (the emulator ignores tracing updates)', () => {
    const fn = { arn: 'fn', tracing: 'PassThrough' };
    expect(judge(control('lambda-tracing'), snapshot({ lives: new Map([['function', fn]]) }))).toMatchObject({ status: 'FAIL', detail: 'tracing is PassThrough' });
    expect(judge(control('lambda-tracing'), snapshot({ lives: new Map([['function', { ...fn, tracing: 'Active' }]]) })).status).toBe('PASS');
  });

  it('iam-user-key-age fails on an active key of 90 days or more, not on an inactive one', () => {
    const user = (created: string, status = 'Active') => ({ arn: 'u', tags: {}, policies: { inline: {}, attached: [] }, groups: [], accessKeys: [{ id: 'AKIAOLD', status, created: new Date(created) }] });
    const at = (u: unknown) => judge(control('iam-user-key-age'), snapshot({ lives: new Map([['operators', { group: null, user: u, keyFileAccessKeyId: null }]]) }));
    expect(at(user('2026-08-01T00:00:00Z'))).toMatchObject({ status: 'FAIL', detail: 'AKIAOLD is 119 days old' });
    expect(at(user('2026-11-01T00:00:00Z')).status).toBe('PASS');
    expect(at(user('2026-01-01T00:00:00Z', 'Inactive')).status).toBe('PASS');
  });

  it('a read that was denied is ERROR, never PASS', () => {
    const result = judge(control('s3-versioning'), snapshot({ errors: new Map([['bucket', 'access denied (AccessDenied)']]) }));
    expect(result).toMatchObject({ status: 'ERROR', detail: 'could not read bucket: access denied (AccessDenied)', resource: 'arn:aws:s3:::s12-111122223333-us-east-1' });
    expect(summarize([result])).toEqual({ pass: 0, fail: 0, error: 1, skip: 0, muted: 0 });
  });

  it('a missing resource is a FAIL that says to run setup', () => {
    expect(judge(control('kms-rotation'), snapshot({ lives: new Map([['kms-key', null]]) }))).toMatchObject({ status: 'FAIL', detail: 'the stack key does not exist: run bridge setup' });
  });
});

describe('effective permissions', () => {
  it('expands wildcards against the action list', () => {
    // In AWS's own casing whatever the policy wrote (IAM matches actions case-insensitively).
    expect(expandAction('S3:put*', catalogue)).toEqual(['s3:PutObject', 's3:PutBucketPolicy']);
    expect(expandAction('*', catalogue)).toHaveLength(8);
    expect(expandAction('xyz:Do', catalogue)).toEqual(['xyz:Do']);
  });

  it('reports what the live policy allows beyond the intended one, precisely', () => {
    const intended = grantsOf({ Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/raw/*' }] }, catalogue);
    const live = grantsOf({ Statement: [{ Effect: 'Allow', Action: 's3:*object', Resource: 'arn:aws:s3:::b/raw/*' }] }, catalogue, 'inline policy extra');
    const difference = compareGrants(live, intended);
    expect(describeGrants('allows', difference.extra)).toEqual(['allows s3:DeleteObject, s3:GetObject on arn:aws:s3:::b/raw/*, from inline policy extra']);
    expect(difference.missing).toEqual([]);
  });

  it('treats a narrower resource or a stricter condition as within the intended', () => {
    const intended = grantsOf({ Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/raw/*' }] }, catalogue);
    const narrower = grantsOf({ Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/raw/2026/*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } }] }, catalogue);
    expect(compareGrants(narrower, intended).extra).toEqual([]);
  });

  it('a wider resource or a dropped condition is extra', () => {
    const intended = grantsOf({ Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:x', Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } } }] }, catalogue);
    expect(compareGrants(grantsOf({ Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }, catalogue), intended).extra).toHaveLength(1);
    expect(compareGrants(grantsOf({ Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:x' }] }, catalogue), intended).extra).toHaveLength(1);
  });

  it('NotAction allows everything else', () => {
    expect(grantsOf({ Statement: [{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }] }, catalogue).map((g) => g.action)).toEqual([
      's3:GetObject',
      's3:PutObject',
      's3:DeleteObject',
      's3:ListBucket',
      's3:PutBucketPolicy',
    ]);
  });
});

describe('TLS-only, as Prowler does not check it', () => {
  const bucket = 'arn:aws:s3:::b';
  const deny = { Effect: 'Deny' as const, Principal: '*', Action: 's3:*', Resource: [bucket, `${bucket}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } };
  it('passes the standard statement', () => expect(tlsOnlyProblem([deny], bucket)).toBeNull());
  it('fails one that spares a principal', () => expect(tlsOnlyProblem([{ ...deny, Principal: { AWS: 'arn:aws:iam::1:root' } }], bucket)).toMatch(/every principal/));
  it('fails one that covers only the objects', () => expect(tlsOnlyProblem([{ ...deny, Resource: `${bucket}/*` }], bucket)).toBe('the TLS-only Deny does not cover arn:aws:s3:::b for all actions'));
});

describe('severity and exit', () => {
  it('maps severities to the numbers GitHub reads', () => {
    expect(Number(SECURITY_SEVERITY.critical)).toBeGreaterThanOrEqual(9);
    expect(Number(SECURITY_SEVERITY.high)).toBeGreaterThanOrEqual(7);
    expect(Number(SECURITY_SEVERITY.medium)).toBeGreaterThanOrEqual(4);
    expect(Number(SECURITY_SEVERITY.low)).toBeLessThan(4);
  });
  it('fails the run only at or above --fail-on', () => {
    const r = (severity: 'low' | 'critical', status: 'FAIL' | 'PASS') => ({ id: severity, title: '', severity, status, resource: '', resourceKind: 'stack', resourceArn: 'stack s', detail: '', remediation: '', frameworks: [] });
    expect(failingAtOrAbove([r('low', 'FAIL')], 'critical')).toEqual([]);
    expect(failingAtOrAbove([r('low', 'FAIL')], 'low')).toHaveLength(1);
    expect(failingAtOrAbove([r('critical', 'PASS')], 'low')).toEqual([]);
  });
  it('fingerprints by rule and resource, stably', () => {
    expect(fingerprint('s3-policy', 'arn:a')).toBe(fingerprint('s3-policy', 'arn:a'));
    expect(fingerprint('s3-policy', 'arn:a')).not.toBe(fingerprint('s3-policy', 'arn:b'));
  });
});

describe('blind spots found attacking a stack', () => {
  const key = { keyId: 'k', arn: 'arn:aws:kms:us-east-1:111122223333:key/k', state: 'Enabled', description: '', rotation: true, tags: {}, aliased: true, policy: null };

  it('kms-no-grants: a grant is access the key policy does not show', () => {
    const grant: KeyGrant = { id: '0c1d2e3f4a5b', name: 'backup', grantee: 'arn:aws:iam::111122223333:role/intruder', retiring: null, operations: ['Decrypt', 'GenerateDataKey'], constraints: null };
    const withKey = (grants: KeyGrant[]) => snapshot({ lives: new Map([['kms-key', key]]), grants });
    expect(judge(control('kms-no-grants'), withKey([]))).toMatchObject({ status: 'PASS', detail: 'no grants' });
    expect(judge(control('kms-no-grants'), withKey([grant]))).toMatchObject({
      status: 'FAIL',
      detail: '1 grant on the key: grant 0c1d2e3f (name backup) lets arn:aws:iam::111122223333:role/intruder Decrypt, GenerateDataKey with any encryption context',
    });
    const limited = { ...grant, constraints: '{"aws:s3:arn":"arn:aws:s3:::b"}' };
    expect(judge(control('kms-no-grants'), withKey([limited, grant, grant, grant])).detail).toMatch(/only with encryption context \{"aws:s3:arn":"arn:aws:s3:::b"\}; .*, and 1 more$/);
    // A grant list that could not be read is ERROR, never PASS.
    expect(judge(control('kms-no-grants'), snapshot({ lives: new Map([['kms-key', key]]), errors: new Map([['kms-grants', 'AccessDeniedException: no']]) })).status).toBe('ERROR');
  });

  it('iam-operators-members: anyone but the operator user in the group is a finding', () => {
    const n = stackNames('s12', '111122223333', 'us-east-1');
    const group = (members: string[]) => ({ group: { arn: n.operatorGroupArn, members, policies: { inline: {}, attached: [] } }, user: null, keyFileAccessKeyId: null });
    expect(judge(control('iam-operators-members'), snapshot({ lives: new Map([['operators', group([n.operatorUser])]]) })).status).toBe('PASS');
    expect(judge(control('iam-operators-members'), snapshot({ lives: new Map([['operators', group([n.operatorUser, 'mallory', 'eve'])]]) }))).toMatchObject({
      status: 'FAIL',
      detail: "2 other members read the stack's data and decrypt with its key through the group: mallory, eve",
    });
  });

  it("stack-no-duplicates: a second key or API tagged for the stack, never a key on its way out or an earlier API's kept logs", () => {
    const n = stackNames('s12', '111122223333', 'us-east-1');
    const own = [n.bucketArn, 'arn:aws:kms:us-east-1:111122223333:key/k', `${n.functionLogGroupArn}:*`, n.lockParameterArn, 'arn:aws:apigateway:us-east-1::/restapis/a1/stages/prod'];
    const base = { lives: new Map<string, unknown>([['rest-api', { id: 'a1', tags: {}, rootResourceId: 'r', duplicates: [] }]]) };
    const inventory = (tagged: string[], otherKeys: Record<string, string> = {}) => snapshot({ ...base, inventory: { tagged: [...own, ...tagged], otherKeys, otherBuckets: {} } });
    expect(judge(control('stack-no-duplicates'), inventory([]))).toMatchObject({ status: 'PASS' });
    const pending = 'arn:aws:kms:us-east-1:111122223333:key/old';
    const earlierLogs = 'arn:aws:logs:us-east-1:111122223333:log-group:API-Gateway-Execution-Logs_z9/prod';
    expect(judge(control('stack-no-duplicates'), inventory([pending, earlierLogs], { [pending]: 'PendingDeletion' })).status).toBe('PASS');
    const second = 'arn:aws:kms:us-east-1:111122223333:key/second';
    const verdict = judge(control('stack-no-duplicates'), inventory([second, 'arn:aws:apigateway:us-east-1::/restapis/b2', 'arn:aws:apigateway:us-east-1::/restapis/b2/stages/prod'], { [second]: 'Enabled' }));
    expect(verdict).toMatchObject({
      status: 'FAIL',
      detail: 'a second REST API s12-api: arn:aws:apigateway:us-east-1::/restapis/b2; a second KMS key arn:aws:kms:us-east-1:111122223333:key/second (Enabled)',
    });
    // Where the tagging API does not list API Gateway, the API's own read finds the copy by name.
    const byName = snapshot({ lives: new Map([['rest-api', { id: 'a1', tags: {}, rootResourceId: 'r', duplicates: ['arn:aws:apigateway:us-east-1::/restapis/c3'] }]]), inventory: { tagged: own, otherKeys: {}, otherBuckets: {} } });
    expect(judge(control('stack-no-duplicates'), byName).detail).toBe('a second REST API s12-api: arn:aws:apigateway:us-east-1::/restapis/c3');
    expect(judge(control('stack-no-duplicates'), snapshot({ ...base, inventory: null, errors: new Map([['inventory', 'the Resource Groups Tagging API did not answer']]) })).status).toBe('ERROR');
  });
});

describe('stack-no-duplicates across regions', () => {
  it('leaves alone the same stack name in another region (S3 ARNs name no region)', () => {
    const n = stackNames('s12', '111122223333', 'us-east-1');
    const west = 'arn:aws:s3:::s12-111122223333-eu-west-1';
    const mine = 'arn:aws:s3:::s12-data-copy';
    const at = (regions: Record<string, string>) =>
      judge(control('stack-no-duplicates'), snapshot({ inventory: { tagged: [n.bucketArn, west, mine], otherKeys: {}, otherBuckets: regions } }));
    expect(at({ [west]: 'eu-west-1', [mine]: 'us-east-1' })).toMatchObject({ status: 'FAIL', detail: 'arn:aws:s3:::s12-data-copy, tagged for the stack but not one of its resources' });
    expect(at({ [west]: 'eu-west-1', [mine]: 'eu-west-1' }).status).toBe('PASS');
    // A bucket whose region cannot be told is reported rather than passed over.
    expect(at({ [west]: 'unknown', [mine]: 'eu-west-1' }).detail).toContain(west);
  });
});
