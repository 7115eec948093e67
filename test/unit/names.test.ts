import { describe, expect, it } from 'vitest';
import { apiArns, isKnownRegion, partitionInfo, partitionOf, partitionValues, servicePrincipal, stackNames, viaService } from '../../src/names.js';

describe('stack names (the contract in docs/architecture.md)', () => {
  const n = stackNames('databridge', '111122223333', 'eu-west-1');

  it('derives every name from stack, account and region', () => {
    expect(n).toMatchObject({
      keyAlias: 'alias/databridge',
      bucket: 'databridge-111122223333-eu-west-1',
      roleName: 'databridge-ingest-role-eu-west-1',
      rolePolicyName: 'databridge-ingest',
      operatorUser: 'databridge-operator-eu-west-1',
      operatorGroup: 'databridge-operators-eu-west-1',
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
    expect(n.roleArn).toBe('arn:aws:iam::111122223333:role/bridge/databridge-ingest-role-eu-west-1');
    expect(n.parameterArn).toBe('arn:aws:ssm:eu-west-1:111122223333:parameter/databridge/source/api-key');
    expect(n.functionLogGroupArn).toBe('arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/databridge-ingest');
    expect(n.bucketArn).toBe('arn:aws:s3:::databridge-111122223333-eu-west-1');
  });

  it('uses --bucket when given', () => expect(stackNames('s12', '1', 'us-east-1', 'mine').bucket).toBe('mine'));

  it('gives IAM names the region: the same stack in two regions shares no role, user or group', () => {
    const east = stackNames('databridge', '111122223333', 'us-east-1');
    for (const key of ['roleName', 'roleArn', 'operatorUser', 'operatorUserArn', 'operatorGroup', 'operatorGroupArn'] as const) {
      expect(east[key]).not.toBe(n[key]);
    }
    // IAM's limits: role and user names 64 characters, group names 128.
    const longest = stackNames('a'.repeat(31), '123456789012', 'us-isob-east-1');
    expect(longest.roleName.length).toBeLessThanOrEqual(64);
    expect(longest.operatorUser.length).toBeLessThanOrEqual(64);
  });

  it('takes partition and DNS suffix from the SDK partition data', () => {
    expect(partitionOf('cn-north-1')).toBe('aws-cn');
    expect(partitionOf('us-gov-west-1')).toBe('aws-us-gov');
    expect(partitionInfo('us-iso-east-1')).toEqual({ name: 'aws-iso', dnsSuffix: 'c2s.ic.gov' });
    expect(partitionInfo('us-isob-east-1')).toEqual({ name: 'aws-iso-b', dnsSuffix: 'sc2s.sgov.gov' });
    const cn = stackNames('abc', '123456789012', 'cn-north-1');
    expect(cn.roleArn).toMatch(/^arn:aws-cn:iam::/);
    expect(cn.bucketArn).toBe('arn:aws-cn:s3:::abc-123456789012-cn-north-1');
    expect(cn.functionArn).toBe('arn:aws-cn:lambda:cn-north-1:123456789012:function:abc-ingest');
  });

  it('names the services of China and the ISO partitions as AWS does', () => {
    expect(viaService('s3', 'cn-north-1')).toBe('s3.cn-north-1.amazonaws.com.cn');
    expect(viaService('ssm', 'us-gov-west-1')).toBe('ssm.us-gov-west-1.amazonaws.com');
    expect(viaService('s3', 'us-iso-east-1')).toBe('s3.us-iso-east-1.c2s.ic.gov');
    // CloudWatch Logs' principal takes the partition suffix in China and aws-iso(-b); Lambda's never does.
    expect(servicePrincipal('logs', 'cn-north-1')).toBe('logs.cn-north-1.amazonaws.com.cn');
    expect(servicePrincipal('logs', 'us-isob-east-1')).toBe('logs.us-isob-east-1.sc2s.sgov.gov');
    expect(servicePrincipal('logs', 'us-gov-west-1')).toBe('logs.us-gov-west-1.amazonaws.com');
    expect(servicePrincipal('lambda', 'cn-north-1')).toBe('lambda.amazonaws.com');
    expect(partitionValues(stackNames('abc', '123456789012', 'cn-north-1'))).toMatchObject({ Partition: 'aws-cn', S3ViaService: 's3.cn-north-1.amazonaws.com.cn' });
  });

  it('knows which regions exist: listed ones, not names that only look like one', () => {
    expect(isKnownRegion('eu-west-1')).toBe(true);
    expect(isKnownRegion('cn-northwest-1')).toBe(true);
    expect(isKnownRegion('us-gov-east-1')).toBe(true);
    expect(isKnownRegion('eu-west-9')).toBe(false);
    expect(isKnownRegion('cn-foo-9')).toBe(false);
    expect(isKnownRegion('aws-global')).toBe(false);
  });

  it('puts the partition into the invoke URL', () => {
    expect(apiArns(stackNames('abc', '123456789012', 'cn-north-1'), 'x1').invokeUrl).toBe('https://x1.execute-api.cn-north-1.amazonaws.com.cn/prod/data');
  });

  it('keeps the longest derived bucket name valid (63 characters at most)', () => {
    expect(stackNames('a'.repeat(31), '123456789012', 'ap-southeast-4').bucket.length).toBeLessThanOrEqual(63);
  });
});
