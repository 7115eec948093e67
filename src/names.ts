/**
 * Every name and ARN of a stack, derived from stack, account and region (DESIGN.md contracts).
 * No state file: these names, plus the bridge:stack tag, are how bridge finds what it owns.
 */
export const STACK_TAG_KEY = 'bridge:stack';

/** IAM path of the stack's role, user and group: groups cannot be tagged, so the path marks them. */
export const IAM_PATH = '/bridge/';

export interface StackNames {
  stack: string;
  account: string;
  region: string;
  partition: string;
  keyAlias: string;
  bucket: string;
  bucketArn: string;
  roleName: string;
  roleArn: string;
  rolePolicyName: string;
  operatorUser: string;
  operatorUserArn: string;
  operatorGroup: string;
  operatorGroupArn: string;
  operatorPolicyName: string;
  parameterName: string;
  parameterArn: string;
  functionName: string;
  functionArn: string;
  functionLogGroup: string;
  functionLogGroupArn: string;
  apiName: string;
  apiStage: string;
  apiLogGroup: string;
  apiLogGroupArn: string;
  apiUsagePlan: string;
  apiKeyName: string;
}

/** Everything of the REST API that depends on its id (known only once it exists). */
export interface ApiArns {
  restApiArn: string;
  stageArn: string;
  /** What `execute-api:Invoke` and the Lambda permission name: exactly GET /data on prod. */
  methodArn: string;
  invokeUrl: string;
}

export function apiArns(names: StackNames, apiId: string): ApiArns {
  const { partition, region, account, apiStage } = names;
  const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return {
    restApiArn: `arn:${partition}:apigateway:${region}::/restapis/${apiId}`,
    stageArn: `arn:${partition}:apigateway:${region}::/restapis/${apiId}/stages/${apiStage}`,
    methodArn: `arn:${partition}:execute-api:${region}:${account}:${apiId}/${apiStage}/GET/data`,
    invokeUrl: `https://${apiId}.execute-api.${region}.${domain}/${apiStage}/data`,
  };
}

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export function defaultBucketName(stack: string, account: string, region: string): string {
  return `${stack}-${account}-${region}`;
}

export function stackNames(stack: string, account: string, region: string, bucketOverride?: string): StackNames {
  const partition = partitionOf(region);
  const bucket = bucketOverride ?? defaultBucketName(stack, account, region);
  const iam = (kind: string, name: string) => `arn:${partition}:iam::${account}:${kind}${IAM_PATH}${name}`;
  const logGroupArn = (name: string) => `arn:${partition}:logs:${region}:${account}:log-group:${name}`;
  const functionName = `${stack}-ingest`;
  const functionLogGroup = `/aws/lambda/${functionName}`;
  const apiName = `${stack}-api`;
  const apiLogGroup = `/aws/apigateway/${apiName}`;
  const parameterName = `/${stack}/source/api-key`;
  return {
    stack,
    account,
    region,
    partition,
    keyAlias: `alias/${stack}`,
    bucket,
    bucketArn: `arn:${partition}:s3:::${bucket}`,
    roleName: `${stack}-ingest-role`,
    roleArn: iam('role', `${stack}-ingest-role`),
    rolePolicyName: `${stack}-ingest`,
    operatorUser: `${stack}-operator`,
    operatorUserArn: iam('user', `${stack}-operator`),
    operatorGroup: `${stack}-operators`,
    operatorGroupArn: iam('group', `${stack}-operators`),
    operatorPolicyName: `${stack}-operators`,
    parameterName,
    // The parameter name starts with '/', so the ARN joins without another slash.
    parameterArn: `arn:${partition}:ssm:${region}:${account}:parameter${parameterName}`,
    functionName,
    functionArn: `arn:${partition}:lambda:${region}:${account}:function:${functionName}`,
    functionLogGroup,
    functionLogGroupArn: logGroupArn(functionLogGroup),
    apiName,
    apiStage: 'prod',
    apiLogGroup,
    apiLogGroupArn: logGroupArn(apiLogGroup),
    apiUsagePlan: `${stack}-usage-plan`,
    apiKeyName: `${stack}-api-key`,
  };
}
