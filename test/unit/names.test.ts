import { describe, expect, it } from 'vitest';
import { partitionOf, stackNames } from '../../src/names.js';

describe('stack names (the DESIGN.md contract)', () => {
  const n = stackNames('databridge', '111122223333', 'eu-west-1');

  it('derives every name from stack, account and region', () => {
    expect(n).toMatchObject({
      keyAlias: 'alias/databridge',
      bucket: 'databridge-111122223333-eu-west-1',
      roleName: 'databridge-ingest-role',
      rolePolicyName: 'databridge-ingest',
      operatorUser: 'databridge-operator',
      operatorGroup: 'databridge-operators',
      operatorPolicyName: 'databridge-operators',
      parameterName: '/databridge/source/api-key',
      functionName: 'databridge-ingest',
      functionLogGroup: '/aws/lambda/databridge-ingest',
      apiName: 'databridge-api',
      apiStage: 'prod',
      apiLogGroup: '/aws/apigateway/databridge-api',
    });
  });

  it('derives ARNs, with the IAM path and the parameter ARN joined without a double slash', () => {
    expect(n.roleArn).toBe('arn:aws:iam::111122223333:role/bridge/databridge-ingest-role');
    expect(n.parameterArn).toBe('arn:aws:ssm:eu-west-1:111122223333:parameter/databridge/source/api-key');
    expect(n.functionLogGroupArn).toBe('arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/databridge-ingest');
    expect(n.bucketArn).toBe('arn:aws:s3:::databridge-111122223333-eu-west-1');
  });

  it('uses --bucket when given', () => expect(stackNames('s12', '1', 'us-east-1', 'mine').bucket).toBe('mine'));

  it('knows the partitions', () => {
    expect(partitionOf('cn-north-1')).toBe('aws-cn');
    expect(partitionOf('us-gov-west-1')).toBe('aws-us-gov');
    expect(stackNames('abc', '1', 'cn-north-1').roleArn).toMatch(/^arn:aws-cn:iam::/);
  });

  it('keeps the longest derived bucket name valid (63 characters at most)', () => {
    expect(stackNames('a'.repeat(31), '123456789012', 'ap-southeast-4').bucket.length).toBeLessThanOrEqual(63);
  });
});
