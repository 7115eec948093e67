/**
 * The policy evaluator, case by case from AWS's documentation (each test names its page).
 */
import { describe, expect, it } from 'vitest';
import { conditionHolds } from '../../src/access/conditions.js';
import { evaluate, type AccessRequest, type PolicySet } from '../../src/access/evaluate.js';
import type { PolicyDocument } from '../../src/policy.js';

const A = '111122223333';
const B = '444455556666';
const role = { kind: 'aws' as const, arn: `arn:aws:iam::${A}:role/bridge/s-ingest-role-eu-west-1`, account: A };
const stranger = { kind: 'aws' as const, arn: `arn:aws:iam::${B}:user/mallory`, account: B };
const doc = (...Statement: PolicyDocument['Statement']): PolicyDocument => ({ Version: '2012-10-17', Statement });
const req = (over: Partial<AccessRequest> = {}): AccessRequest => ({ principal: role, action: 's3:PutObject', resource: 'arn:aws:s3:::b/raw/x.json', context: {}, ...over });
const set = (over: Partial<PolicySet> = {}): PolicySet => ({ identity: [], resource: null, resourceAccount: A, resourcePolicyRequired: false, ...over });
const allowPut = { name: 'inline', document: doc({ Sid: 'Put', Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/raw/*' }) };

describe('IAM User Guide, "Policy evaluation logic"', () => {
  it('denies by default: no policy allows it', () => {
    expect(evaluate(req(), set())).toMatchObject({ decision: 'deny', explicit: false });
  });

  it('an identity-policy Allow is enough within one account', () => {
    expect(evaluate(req(), set({ identity: [allowPut] }))).toMatchObject({ decision: 'allow', by: [{ policy: 'inline', sid: 'Put' }] });
  });

  it('an explicit Deny in a resource policy overrides any Allow', () => {
    const bucket = { name: 'bucket policy', document: doc({ Sid: 'NoTls', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::b/*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }) };
    const verdict = evaluate(req({ context: { 'aws:securetransport': false } }), set({ identity: [allowPut], resource: bucket }));
    expect(verdict).toMatchObject({ decision: 'deny', explicit: true, by: [{ sid: 'NoTls', effect: 'Deny' }] });
    expect(evaluate(req({ context: { 'aws:securetransport': true } }), set({ identity: [allowPut], resource: bucket })).decision).toBe('allow');
  });

  it('a resource policy naming the principal allows within one account without any identity policy', () => {
    const fn = { name: 'function policy', document: doc({ Sid: 'Api', Effect: 'Allow', Principal: { AWS: role.arn }, Action: 'lambda:InvokeFunction', Resource: 'arn:aws:lambda:eu-west-1:1:function:f' }) };
    expect(evaluate(req({ action: 'lambda:InvokeFunction', resource: 'arn:aws:lambda:eu-west-1:1:function:f' }), set({ resource: fn })).decision).toBe('allow');
  });

  it('across accounts both the resource policy and the caller\'s identity policy must allow', () => {
    const bucket = { name: 'bucket policy', document: doc({ Sid: 'B', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }) };
    const theirs = { name: 'their admin', document: doc({ Effect: 'Allow', Action: '*', Resource: '*' }) };
    const r = req({ principal: stranger, action: 's3:GetObject' });
    expect(evaluate(r, set({ resource: bucket })).decision).toBe('deny');
    expect(evaluate(r, set({ identity: [theirs] })).decision).toBe('deny');
    expect(evaluate(r, set({ identity: [theirs], resource: bucket })).decision).toBe('allow');
  });

  it('anonymous callers and service principals are judged by the resource policy alone', () => {
    const r = req({ principal: { kind: 'anonymous' }, action: 's3:GetObject' });
    expect(evaluate(r, set({ identity: [allowPut] })).decision).toBe('deny');
    const fn = { name: 'function policy', document: doc({ Sid: 'Api', Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' }, Action: 'lambda:InvokeFunction', Resource: 'arn:aws:lambda:r:1:function:f', Condition: { ArnLike: { 'AWS:SourceArn': 'arn:aws:execute-api:r:1:api/prod/GET/data' } } }) };
    const api = { kind: 'service' as const, service: 'apigateway.amazonaws.com' };
    expect(evaluate(req({ principal: api, action: 'lambda:InvokeFunction', resource: 'arn:aws:lambda:r:1:function:f', context: { 'aws:sourcearn': 'arn:aws:execute-api:r:1:api/prod/GET/data' } }), set({ resource: fn })).decision).toBe('allow');
    expect(evaluate(req({ principal: api, action: 'lambda:InvokeFunction', resource: 'arn:aws:lambda:r:1:function:f', context: { 'aws:sourcearn': 'arn:aws:execute-api:r:1:other/prod/GET/data' } }), set({ resource: fn })).decision).toBe('deny');
  });
});

describe('KMS Developer Guide, "Determining access to an AWS KMS key"', () => {
  const key = 'arn:aws:kms:eu-west-1:111122223333:key/k';
  const root = { Sid: 'Root', Effect: 'Allow' as const, Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: 'kms:*', Resource: '*' };
  const kmsReq = req({ action: 'kms:Decrypt', resource: key });
  const iamDecrypt = { name: 'inline', document: doc({ Sid: 'Dec', Effect: 'Allow', Action: 'kms:Decrypt', Resource: key }) };

  it('an IAM policy alone gives no access: the key policy must allow', () => {
    expect(evaluate(kmsReq, set({ identity: [iamDecrypt], resource: { name: 'key policy', document: doc() }, resourcePolicyRequired: true }))).toMatchObject({ decision: 'deny', explicit: false });
  });

  it("a key policy statement for the account lets IAM policies decide; then they must allow", () => {
    const policy = { name: 'key policy', document: doc(root) };
    expect(evaluate(kmsReq, set({ resource: policy, resourcePolicyRequired: true })).decision).toBe('deny');
    expect(evaluate(kmsReq, set({ identity: [iamDecrypt], resource: policy, resourcePolicyRequired: true })).decision).toBe('allow');
  });

  it('a key policy statement naming the principal allows on its own, whatever the IAM policy\'s conditions', () => {
    // The role's IAM statement wants one encryption context; the key policy's does not: it allows alone.
    const policy = { name: 'key policy', document: doc(root, { Sid: 'Role', Effect: 'Allow', Principal: { AWS: role.arn }, Action: 'kms:Decrypt', Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 'ssm.eu-west-1.amazonaws.com' } } }) };
    const narrow = { name: 'inline', document: doc({ Effect: 'Allow', Action: 'kms:Decrypt', Resource: key, Condition: { StringEquals: { 'kms:EncryptionContext:PARAMETER_ARN': 'arn:aws:ssm:eu-west-1:1:parameter/s/source/api-key' } } }) };
    const other = req({ action: 'kms:Decrypt', resource: key, context: { 'kms:viaservice': 'ssm.eu-west-1.amazonaws.com', 'kms:encryptioncontext:parameter_arn': 'arn:aws:ssm:eu-west-1:1:parameter/other' } });
    expect(evaluate(other, set({ identity: [narrow], resource: policy, resourcePolicyRequired: true }))).toMatchObject({ decision: 'allow', by: [{ sid: 'Role' }] });
  });
});

describe('IAM User Guide, "IAM JSON policy elements: Condition operators"', () => {
  it('a key absent from the request makes a condition false, a negated one true, ...IfExists true', () => {
    expect(conditionHolds('StringEquals', 'aws:SourceAccount', '1', {})).toBe(false);
    expect(conditionHolds('StringNotEquals', 's3:x-amz-server-side-encryption', 'aws:kms', {})).toBe(true);
    expect(conditionHolds('StringEqualsIfExists', 'aws:SourceAccount', '1', {})).toBe(true);
    expect(conditionHolds('StringEqualsIfExists', 'aws:SourceAccount', '1', { 'aws:sourceaccount': '2' })).toBe(false);
  });

  it('Null tests presence', () => {
    expect(conditionHolds('Null', 's3:x-amz-server-side-encryption-aws-kms-key-id', 'false', { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'k' })).toBe(true);
    expect(conditionHolds('Null', 's3:x-amz-server-side-encryption-aws-kms-key-id', 'false', {})).toBe(false);
    expect(conditionHolds('Null', 'aws:TokenIssueTime', 'true', {})).toBe(true);
  });

  it('several policy values: any one matching is enough; condition keys are case-insensitive', () => {
    expect(conditionHolds('StringEquals', 'kms:ViaService', ['s3.r.amazonaws.com', 'ssm.r.amazonaws.com'], { 'kms:viaservice': 'ssm.r.amazonaws.com' })).toBe(true);
    expect(conditionHolds('StringEquals', 'KMS:ViaService', 's3.r.amazonaws.com', { 'kms:viaservice': 'lambda.r.amazonaws.com' })).toBe(false);
  });

  it('StringLike and ArnLike take * and ?; Bool compares true and false', () => {
    expect(conditionHolds('ArnLike', 'aws:SourceArn', 'arn:aws:execute-api:r:1:api/*/GET/data', { 'aws:sourcearn': 'arn:aws:execute-api:r:1:api/prod/GET/data' })).toBe(true);
    expect(conditionHolds('StringLike', 'kms:ViaService', 'ssm.*', { 'kms:viaservice': 's3.r.amazonaws.com' })).toBe(false);
    expect(conditionHolds('Bool', 'aws:SecureTransport', 'false', { 'aws:securetransport': false })).toBe(true);
  });

  it('ForAllValues holds for an empty set; ForAnyValue needs one match', () => {
    expect(conditionHolds('ForAllValues:StringEquals', 'aws:TagKeys', ['a', 'b'], {})).toBe(true);
    expect(conditionHolds('ForAllValues:StringEquals', 'aws:TagKeys', ['a', 'b'], { 'aws:tagkeys': ['a', 'c'] })).toBe(false);
    expect(conditionHolds('ForAnyValue:StringEquals', 'aws:TagKeys', ['a'], { 'aws:tagkeys': ['c', 'a'] })).toBe(true);
    expect(conditionHolds('ForAnyValue:StringEquals', 'aws:TagKeys', ['a'], {})).toBe(false);
  });

  it('numeric operators compare numbers', () => {
    expect(conditionHolds('NumericLessThanEquals', 's3:max-keys', '10', { 's3:max-keys': '7' })).toBe(true);
    expect(conditionHolds('NumericGreaterThan', 's3:max-keys', '10', { 's3:max-keys': 'x' })).toBe(false);
  });
});

describe('what it cannot judge, it says so', () => {
  it.each([
    ['an unknown operator', doc({ Effect: 'Allow', Action: 's3:PutObject', Resource: '*', Condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } } })],
    ['a policy variable', doc({ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/${aws:username}/*' })],
    ['an unknown element', doc({ Effect: 'Allow', Action: 's3:PutObject', Resource: '*', Unknown: 1 } as never)],
  ])('%s: cannot judge, never allow or deny', (_what, document) => {
    expect(evaluate(req(), set({ identity: [{ name: 'inline', document }] })).decision).toBe('cannot-judge');
  });

  it('NotPrincipal in a resource policy', () => {
    const bucket = { name: 'bucket policy', document: doc({ Effect: 'Deny', NotPrincipal: { AWS: role.arn }, Action: 's3:*', Resource: '*' }) };
    expect(evaluate(req(), set({ resource: bucket })).decision).toBe('cannot-judge');
  });
});

describe('a resource policy naming the account, in the same account (IAM User Guide, "Policy evaluation logic")', () => {
  it('hands the decision to IAM: a principal without an identity policy is still denied', () => {
    // The local AWS returns such a Lambda permission's principal bare ("111122223333"), AWS as {"AWS": ARN}.
    for (const Principal of [A, { AWS: `arn:aws:iam::${A}:root` }]) {
      const fn = { name: 'function policy', document: doc({ Sid: 'account', Effect: 'Allow', Principal, Action: 'lambda:InvokeFunction', Resource: 'arn:aws:lambda:r:1:function:f' }) };
      const alice = { kind: 'aws' as const, arn: `arn:aws:iam::${A}:user/alice`, account: A };
      expect(evaluate(req({ principal: alice, action: 'lambda:InvokeFunction', resource: 'arn:aws:lambda:r:1:function:f' }), set({ resource: fn })).decision).toBe('deny');
    }
  });
});

describe('what the table does not model is not guessed (a second read of the evaluator)', () => {
  it('a condition on a key AWS may send but the request does not model: cannot judge', () => {
    // AWS sends aws:PrincipalType with every request; treating it as absent would call this a deny.
    const key = { name: 'key policy', document: doc({ Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalType': 'User' } } }) };
    expect(evaluate(req({ action: 'kms:Decrypt', resource: 'k' }), set({ resource: key, resourcePolicyRequired: true })).decision).toBe('cannot-judge');
  });

  it('a policy variable in a condition value: cannot judge', () => {
    const inline = { name: 'inline', document: doc({ Effect: 'Allow', Action: 's3:PutObject', Resource: '*', Condition: { StringNotEquals: { 'aws:PrincipalArn': '${aws:username}' } } }) };
    expect(evaluate(req(), set({ identity: [inline] })).decision).toBe('cannot-judge');
  });

  it("a role's session is the role a resource policy names, whatever the role's path", () => {
    const session = { kind: 'aws' as const, arn: `arn:aws:sts::${A}:assumed-role/s-ingest-role-eu-west-1/run-1`, account: A };
    const fn = { name: 'function policy', document: doc({ Sid: 'Role', Effect: 'Allow', Principal: { AWS: role.arn }, Action: 'lambda:InvokeFunction', Resource: '*' }) };
    expect(evaluate(req({ principal: session, action: 'lambda:InvokeFunction', resource: 'f' }), set({ resource: fn })).decision).toBe('allow');
    const other = { kind: 'aws' as const, arn: `arn:aws:sts::${A}:assumed-role/someone-else/run-1`, account: A };
    expect(evaluate(req({ principal: other, action: 'lambda:InvokeFunction', resource: 'f' }), set({ resource: fn })).decision).toBe('deny');
  });

  it('IfExists holds for an absent key under ForAnyValue too; an empty value is no number', () => {
    expect(conditionHolds('ForAnyValue:StringEqualsIfExists', 'aws:TagKeys', ['a'], {})).toBe(true);
    expect(conditionHolds('NumericEquals', 's3:max-keys', '0', { 's3:max-keys': '' })).toBe(false);
  });
});
