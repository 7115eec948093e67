/**
 * The data bridge of the console tutorial this project started from, built step by step as the
 * tutorial has people click it, with its mistakes, by the team (not by bridge): an operator user
 * in a group of AWS managed policies, an execution role with AmazonS3ReadOnlyAccess and a custom
 * policy that deletes, a bucket on the AWS managed key whose policy hands s3:GetObject to the whole
 * Lambda service, a Python function with the API key in plain text, and GET /data open to anyone.
 */
import { CreateDeploymentCommand, CreateResourceCommand, CreateRestApiCommand, GetResourcesCommand, PutIntegrationCommand, PutMethodCommand } from '@aws-sdk/client-api-gateway';
import { AddUserToGroupCommand, AttachGroupPolicyCommand, AttachRolePolicyCommand, CreateGroupCommand, CreatePolicyCommand, CreateRoleCommand, CreateUserCommand } from '@aws-sdk/client-iam';
import { AddPermissionCommand, CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, PutBucketEncryptionCommand, PutBucketPolicyCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { LOCAL_ACCOUNT, localClients } from './helpers.js';

export const TUTORIAL = {
  user: 'lambda-admin',
  group: 'LambdaAdministrators',
  role: 'lambda-execution-role',
  customPolicy: 'S3AccessPolicy',
  bucket: 'tutorial-weather-data-123456789012',
  function: 'tutorial-weather-fetch',
  api: 'WeatherAPI',
  /** OpenWeatherMap's keys are 32 hex characters; this one is the test's, never a real one. */
  apiKey: '5d41402abc4b2a76b9719d911017c592',
  apiUrl: 'https://api.openweathermap.org/data/2.5/weather?q=London',
};

const managed = (name: string) => `arn:aws:iam::aws:policy/${name}`;
const managedRole = (name: string) => `arn:aws:iam::aws:policy/service-role/${name}`;

/** A minimal zip holding lambda_function.py: Lambda needs a package; moto never runs it. */
function pythonPackage(): Uint8Array {
  // An empty zip archive (the end-of-central-directory record alone) is a valid package for moto.
  return new Uint8Array([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]);
}

export async function buildTutorialStack(aws: ReturnType<typeof localClients>, region = 'us-east-1'): Promise<{ apiId: string }> {
  const t = TUTORIAL;
  // Step 1: the IAM user and the group, with the three AWS managed policies the tutorial attaches.
  await aws.iam.send(new CreateUserCommand({ UserName: t.user }));
  await aws.iam.send(new CreateGroupCommand({ GroupName: t.group }));
  for (const arn of [managedRole('AWSLambdaBasicExecutionRole'), managed('AmazonS3ReadOnlyAccess'), managed('CloudWatchLogsReadOnlyAccess')]) {
    await aws.iam.send(new AttachGroupPolicyCommand({ GroupName: t.group, PolicyArn: arn }));
  }
  await aws.iam.send(new AddUserToGroupCommand({ GroupName: t.group, UserName: t.user }));
  // The role: trusted by Lambda with no condition, AWSLambdaExecute, AmazonS3ReadOnlyAccess, and a custom policy that deletes.
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
  const role = await aws.iam.send(new CreateRoleCommand({ RoleName: t.role, AssumeRolePolicyDocument: JSON.stringify(trust) }));
  const custom = await aws.iam.send(
    new CreatePolicyCommand({
      PolicyName: t.customPolicy,
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: `arn:aws:s3:::${t.bucket}/*` }] }),
    }),
  );
  for (const arn of [managed('AWSLambdaExecute'), managed('AmazonS3ReadOnlyAccess'), custom.Policy?.Arn as string]) {
    await aws.iam.send(new AttachRolePolicyCommand({ RoleName: t.role, PolicyArn: arn }));
  }
  // The bucket: versioning, SSE-KMS with the AWS managed key, and the policy that trusts all of Lambda.
  await aws.s3.send(new CreateBucketCommand({ Bucket: t.bucket }));
  await aws.s3.send(new PutBucketVersioningCommand({ Bucket: t.bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  await aws.s3.send(new PutBucketEncryptionCommand({ Bucket: t.bucket, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] } }));
  await aws.s3.send(
    new PutBucketPolicyCommand({
      Bucket: t.bucket,
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'AllowLambdaRead', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${t.bucket}/*` }] }),
    }),
  );
  // What the function wrote so far: one data.json, overwritten on every run.
  await aws.s3.send(new PutObjectCommand({ Bucket: t.bucket, Key: 'data.json', Body: '{"name":"London","main":{"temp":281.5}}', ContentType: 'application/json' }));
  // The function: Python, the key in plain text in its environment.
  await aws.lambda.send(
    new CreateFunctionCommand({
      FunctionName: t.function,
      Runtime: 'python3.12',
      Role: role.Role?.Arn,
      Handler: 'lambda_function.lambda_handler',
      Code: { ZipFile: pythonPackage() },
      Environment: { Variables: { API_URL: t.apiUrl, API_KEY: t.apiKey, S3_BUCKET_NAME: t.bucket } },
    }),
  );
  // The API: GET /data with authorization NONE, a Lambda proxy integration, deployed to prod.
  const api = await aws.apigateway.send(new CreateRestApiCommand({ name: t.api }));
  const restApiId = api.id as string;
  const root = ((await aws.apigateway.send(new GetResourcesCommand({ restApiId }))).items ?? []).find((r) => r.path === '/');
  const data = await aws.apigateway.send(new CreateResourceCommand({ restApiId, parentId: root?.id, pathPart: 'data' }));
  await aws.apigateway.send(new PutMethodCommand({ restApiId, resourceId: data.id, httpMethod: 'GET', authorizationType: 'NONE' }));
  const functionArn = `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${t.function}`;
  await aws.apigateway.send(
    new PutIntegrationCommand({
      restApiId,
      resourceId: data.id,
      httpMethod: 'GET',
      type: 'AWS_PROXY',
      integrationHttpMethod: 'POST',
      uri: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`,
    }),
  );
  await aws.apigateway.send(new CreateDeploymentCommand({ restApiId, stageName: 'prod' }));
  // The console's "Add trigger" permission: any stage, method and path of the API.
  await aws.lambda.send(
    new AddPermissionCommand({
      FunctionName: t.function,
      StatementId: 'apigateway-invoke',
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      SourceArn: `arn:aws:execute-api:${region}:${LOCAL_ACCOUNT}:${restApiId}/*/*/*`,
    }),
  );
  return { apiId: restApiId };
}
