import { describe, expect, it } from 'vitest';
import { describeStatementDifference, diffStatements, parsePolicy, policiesEqual, type PolicyDocument } from '../../src/policy.js';

const doc = (...Statement: PolicyDocument['Statement']): PolicyDocument => ({ Version: '2012-10-17', Statement });

describe('policy comparison', () => {
  it('ignores statement order, Sid, string-or-array, duplicate and action case', () => {
    const a = doc(
      { Sid: 'One', Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/raw/*' },
      { Effect: 'Allow', Action: ['logs:PutLogEvents', 'logs:CreateLogStream'], Resource: ['x'] },
    );
    const b = doc(
      { Effect: 'Allow', Action: ['logs:createlogstream', 'logs:PutLogEvents', 'logs:PutLogEvents'], Resource: 'x' },
      { Sid: 'Other', Effect: 'Allow', Action: ['s3:PutObject'], Resource: ['arn:aws:s3:::b/raw/*'] },
    );
    expect(policiesEqual(a, b)).toBe(true);
  });

  it('treats Principal "*" like {"AWS": "*"} and sorts principal lists', () => {
    expect(policiesEqual(doc({ Effect: 'Deny', Principal: '*', Action: 's3:*' }), doc({ Effect: 'Deny', Principal: { AWS: ['*'] }, Action: 's3:*' }))).toBe(true);
  });

  it('sees a changed resource, condition value or effect', () => {
    const base = { Effect: 'Allow' as const, Action: 'kms:Decrypt', Resource: 'k', Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } } };
    expect(policiesEqual(doc(base), doc({ ...base, Resource: 'k2' }))).toBe(false);
    expect(policiesEqual(doc(base), doc({ ...base, Condition: { StringEquals: { 'kms:ViaService': 'ssm.us-east-1.amazonaws.com' } } }))).toBe(false);
    expect(policiesEqual(doc(base), doc({ ...base, Effect: 'Deny' }))).toBe(false);
    expect(policiesEqual(doc(base), doc({ ...base, Condition: undefined }))).toBe(false);
  });

  it('parses the URL-encoded documents IAM returns', () => {
    const text = encodeURIComponent(JSON.stringify(doc({ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/raw/*' })));
    expect(parsePolicy(text).Statement[0]?.Resource).toBe('arn:aws:s3:::b/raw/*');
    expect(parsePolicy('{"Statement":{"Effect":"Allow","Action":"x:y"}}').Statement).toHaveLength(1);
  });

  it('names what is extra and missing, one line each', () => {
    const intended = doc({ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/raw/*' });
    const live = doc(
      { Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/*' },
      { Effect: 'Allow', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::b/*' },
    );
    const difference = diffStatements(live, intended);
    expect(describeStatementDifference(difference)).toEqual([
      '+ Allow s3:PutObject on arn:aws:s3:::b/raw/*',
      '- Allow s3:PutObject on arn:aws:s3:::b/*',
      '- Allow s3:DeleteObject on arn:aws:s3:::b/*',
    ]);
    expect(diffStatements(null, intended).missing).toHaveLength(1);
  });
});
