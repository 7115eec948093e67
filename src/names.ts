/**
 * Every name and ARN of a stack, derived from stack, account and region (docs/architecture.md).
 * No state file: these names, plus the bridge:stack tag, are how bridge finds what it owns.
 *
 * IAM is global while a stack is regional: the role, user and group carry the region in their
 * names, so the same stack name in two regions never shares or fights over them, and each
 * region's teardown removes only its own.
 */
import { partition as sdkPartition } from '@aws-sdk/core/client';

export const STACK_TAG_KEY = 'bridge:stack';

/** IAM path of the stack's role, user and group: groups cannot be tagged, so the path marks them. */
export const IAM_PATH = '/bridge/';

/**
 * Placeholder for a value that exists only once an earlier resource is created (as Terraform says
 * it): plans show it; src/aws.ts refuses to send a request that still holds it.
 */
export const KNOWN_AFTER_APPLY = '(known after apply)';

/** The first place in a request's input that still holds KNOWN_AFTER_APPLY ("Policy", "Rules[0].KeyId"), or null. */
export function placeholderIn(input: unknown, path = ''): string | null {
  if (typeof input === 'string') return input.includes(KNOWN_AFTER_APPLY) ? path || '(the input)' : null;
  if (input === null || typeof input !== 'object' || ArrayBuffer.isView(input)) return null;
  for (const [key, value] of Object.entries(input)) {
    const found = placeholderIn(value, Array.isArray(input) ? `${path}[${key}]` : path ? `${path}.${key}` : key);
    if (found) return found;
  }
  return null;
}

export interface StackNames {
  stack: string;
  account: string;
  region: string;
  partition: string;
  /** The partition's DNS suffix: amazonaws.com, amazonaws.com.cn, c2s.ic.gov, ... */
  dnsSuffix: string;
  keyAlias: string;
  /** The alias's ARN: names the key before (or without) its id. */
  keyAliasArn: string;
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
  /** Held while a run changes the stack (src/lock.ts). */
  lockParameterName: string;
  lockParameterArn: string;
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
  /** EventBridge Scheduler: the stack's own group (groups are what Scheduler tags), its one schedule. */
  scheduleGroup: string;
  scheduleGroupArn: string;
  scheduleName: string;
  scheduleArn: string;
  /** The role Scheduler assumes to invoke the function and to write the dead-letter queue. */
  schedulerRoleName: string;
  schedulerRoleArn: string;
  schedulerPolicyName: string;
  /** Where failed scheduled runs land: Scheduler's deliveries and the function's own async failures. */
  deadLetterQueue: string;
  deadLetterQueueArn: string;
}

/** Everything of the REST API that depends on its id (known only once it exists). */
export interface ApiArns {
  restApiArn: string;
  stageArn: string;
  /** What `execute-api:Invoke` and the Lambda permission name: exactly GET /data on prod. */
  methodArn: string;
  invokeUrl: string;
  /** Where API Gateway writes the stage's execution logs: a group it would create unencrypted and kept forever. */
  executionLogGroup: string;
  executionLogGroupArn: string;
}

export function apiArns(names: StackNames, apiId: string): ApiArns {
  const { partition, region, account, apiStage, dnsSuffix } = names;
  return {
    restApiArn: `arn:${partition}:apigateway:${region}::/restapis/${apiId}`,
    stageArn: `arn:${partition}:apigateway:${region}::/restapis/${apiId}/stages/${apiStage}`,
    methodArn: `arn:${partition}:execute-api:${region}:${account}:${apiId}/${apiStage}/GET/data`,
    invokeUrl: `https://${apiId}.execute-api.${region}.${dnsSuffix}/${apiStage}/data`,
    executionLogGroup: `API-Gateway-Execution-Logs_${apiId}/${apiStage}`,
    executionLogGroupArn: `arn:${partition}:logs:${region}:${account}:log-group:API-Gateway-Execution-Logs_${apiId}/${apiStage}`,
  };
}

/** A usage plan's or an API key's ARN (API Gateway names them by id, not by name). */
export function usagePlanArn(names: Pick<StackNames, 'partition' | 'region'>, id: string): string {
  return `arn:${names.partition}:apigateway:${names.region}::/usageplans/${id}`;
}

export function apiKeyArn(names: Pick<StackNames, 'partition' | 'region'>, id: string): string {
  return `arn:${names.partition}:apigateway:${names.region}::/apikeys/${id}`;
}

export interface PartitionInfo {
  /** aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc */
  name: string;
  dnsSuffix: string;
}

/** The partition of a region, from the SDK's own partition data (the one the clients use). */
export function partitionInfo(region: string): PartitionInfo {
  const p = sdkPartition(region);
  return { name: p.name, dnsSuffix: p.dnsSuffix };
}

export function partitionOf(region: string): string {
  return partitionInfo(region).name;
}

/**
 * Whether the SDK lists the region by name (it then carries a description). A name that only
 * matches a partition's pattern, or matches none (the SDK then falls back to 'aws'), is unknown.
 */
export function isKnownRegion(region: string): boolean {
  const p = sdkPartition(region) as { description?: string };
  return p.description !== undefined && !region.endsWith('-global');
}

/**
 * A service's IAM principal in a partition. Most are SERVICE.amazonaws.com in every partition;
 * CloudWatch Logs' regional principal takes the partition's suffix in China and the two oldest
 * ISO partitions (as the Terraform AWS provider's ServicePrincipalNameForPartition does).
 */
export function servicePrincipal(service: string, region: string): string {
  const { name, dnsSuffix } = partitionInfo(region);
  if (service === 'logs') {
    const own = name === 'aws-cn' || name === 'aws-iso' || name === 'aws-iso-b';
    return `logs.${region}.${own ? dnsSuffix : 'amazonaws.com'}`;
  }
  return `${service}.amazonaws.com`;
}

/** The value of kms:ViaService for a service in a region: its endpoint's host name. */
export function viaService(service: string, region: string): string {
  return `${service}.${region}.${partitionInfo(region).dnsSuffix}`;
}

export function defaultBucketName(stack: string, account: string, region: string): string {
  return `${stack}-${account}-${region}`;
}

export function stackNames(stack: string, account: string, region: string, bucketOverride?: string): StackNames {
  const { name: partition, dnsSuffix } = partitionInfo(region);
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
    dnsSuffix,
    keyAlias: `alias/${stack}`,
    keyAliasArn: `arn:${partition}:kms:${region}:${account}:alias/${stack}`,
    bucket,
    bucketArn: `arn:${partition}:s3:::${bucket}`,
    roleName: `${stack}-ingest-role-${region}`,
    roleArn: iam('role', `${stack}-ingest-role-${region}`),
    rolePolicyName: `${stack}-ingest`,
    operatorUser: `${stack}-operator-${region}`,
    operatorUserArn: iam('user', `${stack}-operator-${region}`),
    operatorGroup: `${stack}-operators-${region}`,
    operatorGroupArn: iam('group', `${stack}-operators-${region}`),
    operatorPolicyName: `${stack}-operators`,
    parameterName,
    // The parameter name starts with '/', so the ARN joins without another slash.
    parameterArn: `arn:${partition}:ssm:${region}:${account}:parameter${parameterName}`,
    lockParameterName: `/${stack}/lock`,
    lockParameterArn: `arn:${partition}:ssm:${region}:${account}:parameter/${stack}/lock`,
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
    scheduleGroup: stack,
    scheduleGroupArn: `arn:${partition}:scheduler:${region}:${account}:schedule-group/${stack}`,
    scheduleName: `${stack}-ingest`,
    scheduleArn: `arn:${partition}:scheduler:${region}:${account}:schedule/${stack}/${stack}-ingest`,
    schedulerRoleName: `${stack}-scheduler-role-${region}`,
    schedulerRoleArn: iam('role', `${stack}-scheduler-role-${region}`),
    schedulerPolicyName: `${stack}-scheduler`,
    deadLetterQueue: `${stack}-ingest-dlq`,
    deadLetterQueueArn: `arn:${partition}:sqs:${region}:${account}:${stack}-ingest-dlq`,
  };
}

/** The template values every policy may use: partition, account, region and the partition's service names. */
export function partitionValues(names: Pick<StackNames, 'partition' | 'account' | 'region'>): Record<string, string> {
  const { region } = names;
  return {
    Partition: names.partition,
    AccountId: names.account,
    Region: region,
    S3ViaService: viaService('s3', region),
    SsmViaService: viaService('ssm', region),
    LogsPrincipal: servicePrincipal('logs', region),
    LambdaPrincipal: servicePrincipal('lambda', region),
    ApiGatewayPrincipal: servicePrincipal('apigateway', region),
    SchedulerPrincipal: servicePrincipal('scheduler', region),
    SqsViaService: viaService('sqs', region),
  };
}

/** Every way a KMS reference can name the stack key: its ARN, its id, its alias, the alias's ARN. */
export function stackKeyReferences(names: Pick<StackNames, 'keyAlias' | 'keyAliasArn'>, key: { arn?: string | null; id?: string | null }): string[] {
  return [key.arn, key.id, names.keyAlias, names.keyAliasArn].filter((v): v is string => typeof v === 'string' && v !== '');
}

/** Whether a KMS reference (as S3, SSM or CloudWatch Logs report it) names the stack key. */
export function isStackKey(reference: string | null | undefined, names: Pick<StackNames, 'keyAlias' | 'keyAliasArn'>, key: { arn?: string | null; id?: string | null }): boolean {
  return !!reference && stackKeyReferences(names, key).includes(reference);
}
