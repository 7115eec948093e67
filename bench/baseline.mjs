// The benchmark's baseline: a plain sequential script with the same SDK that creates the same
// resources as `bridge setup` with the same settings (names, policies, encryption, retention,
// tracing, throttling), and no reads, no checks, no waits, no concurrency. What bridge costs over
// this is the price of its checks and its start-up. Usage (the benchmark runs it as a process,
// as it runs bridge): node bench/baseline.mjs STACK SOURCE_URL KEY_IN   (API key in BENCH_KEY;
// endpoint and region from AWS_ENDPOINT_URL and AWS_REGION).
import { APIGatewayClient, CreateDeploymentCommand, CreateResourceCommand, CreateRestApiCommand, CreateStageCommand, PutIntegrationCommand, PutMethodCommand, UpdateAccountCommand, UpdateStageCommand } from '@aws-sdk/client-api-gateway';
import { CloudWatchLogsClient, CreateLogGroupCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { AddUserToGroupCommand, CreateGroupCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutGroupPolicyCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateAliasCommand, CreateKeyCommand, EnableKeyRotationCommand, KMSClient } from '@aws-sdk/client-kms';
import { AddPermissionCommand, CreateFunctionCommand, LambdaClient, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import {
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
// The same names, policy templates and deployment package as bridge's, so the settings match.
import { handlerBundle } from '../dist/src/bundle.js';
import { apiArns, partitionValues, stackNames } from '../dist/src/names.js';
import { ACCESS_LOG_FORMAT } from '../dist/src/resources/api.js';
import { renderTemplate } from '../dist/src/templates.js';

const [stack, sourceUrl, keyIn] = process.argv.slice(2);
const region = process.env.AWS_REGION ?? 'us-east-1';
const config = { region };
const sts = new STSClient(config);
const iam = new IAMClient(config);
const kms = new KMSClient(config);
const s3 = new S3Client({ ...config, forcePathStyle: true });
const ssm = new SSMClient(config);
const logs = new CloudWatchLogsClient(config);
const lambda = new LambdaClient(config);
const apigw = new APIGatewayClient(config);

const account = (await sts.send(new GetCallerIdentityCommand({}))).Account;
const n = stackNames(stack, account, region);
const values = partitionValues(n);
const tags = { 'bridge:stack': stack };
const tagList = [{ Key: 'bridge:stack', Value: stack }];
const json = (document) => JSON.stringify(document);

// Identities first: the key policy names them, and KMS refuses a policy naming a principal that does not exist.
await iam.send(new CreateRoleCommand({ RoleName: n.roleName, Path: '/bridge/', AssumeRolePolicyDocument: json(renderTemplate('execution-role-trust', values)), Description: `bridge stack ${stack}: runs the ingest function`, MaxSessionDuration: 3600, Tags: tagList }));
await iam.send(new CreateGroupCommand({ GroupName: n.operatorGroup, Path: '/bridge/' }));
await iam.send(new CreateUserCommand({ UserName: n.operatorUser, Path: '/bridge/', Tags: tagList }));
await iam.send(new AddUserToGroupCommand({ GroupName: n.operatorGroup, UserName: n.operatorUser }));
const api = await apigw.send(new CreateRestApiCommand({ name: n.apiName, description: `bridge stack ${stack}: GET /data runs the ingest function`, endpointConfiguration: { types: ['REGIONAL'] }, tags }));
const arns = apiArns(n, api.id);

const keyPolicy = renderTemplate('kms-key-policy', {
  ...values,
  RoleArn: n.roleArn,
  BucketArn: n.bucketArn,
  ParameterArn: n.parameterArn,
  OperatorUserArn: n.operatorUserArn,
  FunctionLogGroupArn: n.functionLogGroupArn,
  ApiLogGroupArn: n.apiLogGroupArn,
  ApiExecutionLogGroupArn: arns.executionLogGroupArn,
});
const key = (await kms.send(new CreateKeyCommand({ Policy: json(keyPolicy), Description: `bridge stack ${stack}: encrypts the data bridge's objects, source API key and logs`, KeyUsage: 'ENCRYPT_DECRYPT', KeySpec: 'SYMMETRIC_DEFAULT', Tags: [{ TagKey: 'bridge:stack', TagValue: stack }] }))).KeyMetadata;
await kms.send(new CreateAliasCommand({ AliasName: n.keyAlias, TargetKeyId: key.KeyId }));
await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId }));
const KeyArn = key.Arn;

const common = { ...values, BucketArn: n.bucketArn, DataPrefix: 'raw/', KeyArn, Region: region, FunctionLogGroupArn: n.functionLogGroupArn };
await iam.send(new PutRolePolicyCommand({ RoleName: n.roleName, PolicyName: n.rolePolicyName, PolicyDocument: json(renderTemplate('execution-role-policy', { ...common, ParameterArn: n.parameterArn })) }));
await iam.send(
  new PutGroupPolicyCommand({
    GroupName: n.operatorGroup,
    PolicyName: n.operatorPolicyName,
    PolicyDocument: json(
      renderTemplate('operators-policy', { ...common, ApiLogGroupArn: n.apiLogGroupArn, ApiExecutionLogGroupArn: arns.executionLogGroupArn, FunctionArn: n.functionArn, ApiInvokeArn: arns.methodArn, ApiId: api.id }),
    ),
  }),
);
await ssm.send(new PutParameterCommand({ Name: n.parameterName, Value: process.env.BENCH_KEY, Description: `bridge stack ${stack}: the source API key, read by the ingest function`, Type: 'SecureString', KeyId: KeyArn, Tags: tagList, Tier: 'Standard' }));

const Bucket = n.bucket;
await s3.send(new CreateBucketCommand({ Bucket }));
await s3.send(new PutBucketTaggingCommand({ Bucket, Tagging: { TagSet: tagList } }));
await s3.send(new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } }));
await s3.send(new PutBucketOwnershipControlsCommand({ Bucket, OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } }));
await s3.send(new PutBucketEncryptionCommand({ Bucket, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KeyArn }, BucketKeyEnabled: true }] } }));
await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
await s3.send(new PutBucketPolicyCommand({ Bucket, Policy: json(renderTemplate('bucket-policy', { BucketArn: n.bucketArn, KeyArn })) }));
await s3.send(
  new PutBucketLifecycleConfigurationCommand({
    Bucket,
    LifecycleConfiguration: { Rules: [{ ID: 'bridge-version-retention', Status: 'Enabled', Filter: { Prefix: '' }, NoncurrentVersionExpiration: { NoncurrentDays: 365 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }] },
  }),
);

for (const logGroupName of [n.functionLogGroup, n.apiLogGroup, arns.executionLogGroup]) {
  await logs.send(new CreateLogGroupCommand({ logGroupName, kmsKeyId: KeyArn, tags }));
  await logs.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays: 365 }));
}

// API Gateway's account-wide logging role (--configure-account-logging).
const loggingRole = 'bridge-apigateway-cloudwatch';
const loggingRoleArn = (
  await iam
    .send(new CreateRoleCommand({ RoleName: loggingRole, Path: '/bridge/', AssumeRolePolicyDocument: json(renderTemplate('apigateway-logs-trust', values)), Description: 'API Gateway writes stage logs to CloudWatch Logs in this account (set by bridge --configure-account-logging)', Tags: [{ Key: 'bridge:shared', Value: 'apigateway-account-logging' }] }))
    .catch((error) => {
      // Account-wide: the first stack of the run made it.
      if (error.name === 'EntityAlreadyExistsException') return { Role: { Arn: `arn:aws:iam::${account}:role/bridge/${loggingRole}` } };
      throw error;
    })
).Role.Arn;
await iam.send(new PutRolePolicyCommand({ RoleName: loggingRole, PolicyName: 'write-logs', PolicyDocument: json(renderTemplate('apigateway-logs-policy', values)) }));
await apigw.send(new UpdateAccountCommand({ patchOperations: [{ op: 'replace', path: '/cloudwatchRoleArn', value: loggingRoleArn }] }));

const bundle = await handlerBundle();
await lambda.send(
  new CreateFunctionCommand({
    FunctionName: n.functionName,
    Role: n.roleArn,
    Code: { ZipFile: bundle.zip },
    Runtime: 'nodejs24.x',
    Handler: 'index.handler',
    Description: `bridge stack ${stack}: fetches the source API and stores its answer in S3`,
    Timeout: 25,
    MemorySize: 256,
    PackageType: 'Zip',
    Environment: { Variables: { BRIDGE_BUCKET: Bucket, BRIDGE_DATA_PREFIX: 'raw/', API_URL: sourceUrl, API_KEY_PARAMETER: n.parameterName, API_KEY_IN: keyIn, BRIDGE_KMS_KEY_ARN: KeyArn } },
    TracingConfig: { Mode: 'Active' },
    Tags: tags,
    Architectures: ['arm64'],
  }),
);
await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: n.functionName, ReservedConcurrentExecutions: 2 }));

const resource = await apigw.send(new CreateResourceCommand({ restApiId: api.id, parentId: api.rootResourceId, pathPart: 'data' }));
await apigw.send(new PutMethodCommand({ restApiId: api.id, resourceId: resource.id, httpMethod: 'GET', authorizationType: 'AWS_IAM', apiKeyRequired: false }));
await apigw.send(new PutIntegrationCommand({ restApiId: api.id, resourceId: resource.id, httpMethod: 'GET', type: 'AWS_PROXY', integrationHttpMethod: 'POST', uri: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${n.functionArn}/invocations` }));
const deployment = await apigw.send(new CreateDeploymentCommand({ restApiId: api.id, description: 'baseline' }));
await apigw.send(new CreateStageCommand({ restApiId: api.id, stageName: 'prod', deploymentId: deployment.id, tracingEnabled: true, tags }));
await apigw.send(
  new UpdateStageCommand({
    restApiId: api.id,
    stageName: 'prod',
    patchOperations: [
      { op: 'replace', path: '/accessLogSettings/destinationArn', value: n.apiLogGroupArn },
      { op: 'replace', path: '/accessLogSettings/format', value: ACCESS_LOG_FORMAT },
      { op: 'replace', path: '/*/*/logging/loglevel', value: 'ERROR' },
      { op: 'replace', path: '/*/*/logging/dataTrace', value: 'false' },
      { op: 'replace', path: '/*/*/throttling/rateLimit', value: '2' },
      { op: 'replace', path: '/*/*/throttling/burstLimit', value: '2' },
    ],
  }),
);
await lambda.send(new AddPermissionCommand({ FunctionName: n.functionName, StatementId: 'bridge-api-get-data', Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com', SourceArn: arns.methodArn, SourceAccount: account }));
for (const client of [sts, iam, kms, s3, ssm, logs, lambda, apigw]) client.destroy();
