/** Controls judged on snapshots: the states the local AWS cannot hold, and the reasoning itself. */
import { describe, expect, it } from 'vitest';
import { CONTROLS } from '../../src/audit/controls/index.js';
import { tlsOnlyProblem } from '../../src/audit/controls/s3.js';
import { compareGrants, describeGrants, expandAction, grantsOf, type ActionCatalogue } from '../../src/audit/permissions.js';
import { SECURITY_SEVERITY, fingerprint } from '../../src/audit/report/sarif.js';
import { failingAtOrAbove, judge, summarize } from '../../src/audit/run.js';
import type { AuditSnapshot } from '../../src/audit/types.js';
import { stackNames } from '../../src/names.js';

const catalogue: ActionCatalogue = new Map([
  ['s3', ['getobject', 'putobject', 'deleteobject', 'listbucket', 'putbucketpolicy']],
  ['iam', ['passrole', 'getrole', 'putrolepolicy']],
]);

function snapshot(over: Partial<AuditSnapshot> = {}): AuditSnapshot {
  return {
    names: stackNames('s12', '111122223333', 'us-east-1'),
    stack: 's12',
    dataPrefix: 'raw/',
    keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k',
    keyId: 'k',
    now: new Date('2026-11-28T00:00:00Z'),
    lives: new Map(),
    intended: new Map(),
    errors: new Map(),
    managedPolicies: new Map(),
    objects: [],
    localCodeSha256: 'abc',
    actions: catalogue,
    ...over,
  };
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
    expect(result).toMatchObject({ status: 'ERROR', detail: 'could not read bucket: access denied (AccessDenied)' });
    expect(summarize([result])).toEqual({ pass: 0, fail: 0, error: 1, skip: 0 });
  });

  it('a missing resource is a FAIL that says to run setup', () => {
    expect(judge(control('kms-rotation'), snapshot({ lives: new Map([['kms-key', null]]) }))).toMatchObject({ status: 'FAIL', detail: 'the stack key does not exist: run bridge setup' });
  });
});

describe('effective permissions', () => {
  it('expands wildcards against the action list', () => {
    expect(expandAction('s3:Put*', catalogue)).toEqual(['s3:putobject', 's3:putbucketpolicy']);
    expect(expandAction('*', catalogue)).toHaveLength(8);
    expect(expandAction('xyz:Do', catalogue)).toEqual(['xyz:do']);
  });

  it('reports what the live policy allows beyond the intended one, precisely', () => {
    const intended = grantsOf({ Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/raw/*' }] }, catalogue);
    const live = grantsOf({ Statement: [{ Effect: 'Allow', Action: 's3:*Object', Resource: 'arn:aws:s3:::b/raw/*' }] }, catalogue);
    const difference = compareGrants(live, intended);
    expect(describeGrants('allows', difference.extra)).toEqual(['allows s3:deleteobject, s3:getobject on arn:aws:s3:::b/raw/*']);
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
      's3:getobject',
      's3:putobject',
      's3:deleteobject',
      's3:listbucket',
      's3:putbucketpolicy',
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
    const r = (severity: 'low' | 'critical', status: 'FAIL' | 'PASS') => ({ id: severity, title: '', severity, status, resource: '', detail: '', remediation: '', frameworks: [] });
    expect(failingAtOrAbove([r('low', 'FAIL')], 'critical')).toEqual([]);
    expect(failingAtOrAbove([r('low', 'FAIL')], 'low')).toHaveLength(1);
    expect(failingAtOrAbove([r('critical', 'PASS')], 'low')).toEqual([]);
  });
  it('fingerprints by rule and resource, stably', () => {
    expect(fingerprint('s3-policy', 'arn:a')).toBe(fingerprint('s3-policy', 'arn:a'));
    expect(fingerprint('s3-policy', 'arn:a')).not.toBe(fingerprint('s3-policy', 'arn:b'));
  });
});
