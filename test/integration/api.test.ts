/**
 * The API in front of the function: read back with exactly the intended settings, no new
 * deployment when nothing changed, drift repaired, the API-key mode and back.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CreateDeploymentCommand,
  CreateRestApiCommand,
  GetAccountCommand,
  GetApiKeysCommand,
  GetDeploymentsCommand,
  GetMethodCommand,
  GetResourcesCommand,
  GetStageCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  GetApiKeyCommand,
  PutIntegrationCommand,
  PutMethodCommand,
  UpdateStageCommand,
} from '@aws-sdk/client-api-gateway';
import { AddPermissionCommand, GetPolicyCommand } from '@aws-sdk/client-lambda';
import { ACCESS_LOG_FORMAT } from '../../src/resources/api-state.js';
import { LOCAL_ACCOUNT, TEST_SOURCE_KEY, localClients, mutatingCalls, resetLocal, runCli } from '../support/helpers.js';

const stack = 'apicheck';
const { apigateway: apigw, lambda } = localClients();
let apiId: string;
let dataResourceId: string;

async function converge(extra: string[] = []) {
  const run = await runCli(['setup', '--stack', stack, '--verbose', ...extra]);
  expect(run.code, run.stderr).toBe(0);
  return run;
}

async function deployments(): Promise<number> {
  return (await apigw.send(new GetDeploymentsCommand({ restApiId: apiId }))).items?.length ?? 0;
}

beforeAll(async () => {
  await resetLocal();
  const run = await runCli(['setup', '--stack', stack, '--json', '--source-url', 'https://api.example.com/w', '--api-key-env', 'TEST_SOURCE_KEY'], { env: { TEST_SOURCE_KEY } });
  expect(run.code, run.stderr).toBe(0);
  apiId = JSON.parse(run.stdout).resources.api.id;
  dataResourceId = (await apigw.send(new GetResourcesCommand({ restApiId: apiId }))).items?.find((r) => r.path === '/data')?.id as string;
});

describe('the API as set up', () => {
  it('has GET /data under AWS_IAM with a Lambda proxy integration to the function', async () => {
    const resources = (await apigw.send(new GetResourcesCommand({ restApiId: apiId }))).items ?? [];
    expect(resources.map((r) => r.path).sort()).toEqual(['/', '/data']);
    const method = await apigw.send(new GetMethodCommand({ restApiId: apiId, resourceId: dataResourceId, httpMethod: 'GET' }));
    expect(method.authorizationType).toBe('AWS_IAM');
    expect(method.apiKeyRequired).toBe(false);
    expect(method.methodIntegration).toMatchObject({
      type: 'AWS_PROXY',
      httpMethod: 'POST',
      uri: `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:${stack}-ingest/invocations`,
    });
  });

  it('lets only API Gateway invoke the function, only for this API\'s prod GET /data', async () => {
    const policy = JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: `${stack}-ingest` }))).Policy as string);
    expect(policy.Statement).toHaveLength(1);
    expect(policy.Statement[0]).toMatchObject({
      Sid: 'bridge-api-get-data',
      Effect: 'Allow',
      Principal: { Service: 'apigateway.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Condition: { ArnLike: { 'AWS:SourceArn': `arn:aws:execute-api:us-east-1:${LOCAL_ACCOUNT}:${apiId}/prod/GET/data` } },
    });
  });

  it('deploys stage prod with throttling and tracing, logging waiting for the account role', async () => {
    const stage = await apigw.send(new GetStageCommand({ restApiId: apiId, stageName: 'prod' }));
    expect(stage.tracingEnabled).toBe(true);
    expect(stage.methodSettings?.['*/*']).toMatchObject({ throttlingRateLimit: 2, throttlingBurstLimit: 2, loggingLevel: 'OFF', dataTraceEnabled: false });
    expect(stage.tags).toMatchObject({ 'bridge:stack': stack });
    expect(stage.accessLogSettings?.destinationArn).toBeUndefined();
    expect(await deployments()).toBe(1);
  });
});

describe('a second setup', () => {
  it('makes no deployment and no change', async () => {
    const run = await converge();
    expect(mutatingCalls(run)).toEqual([]);
    expect(await deployments()).toBe(1);
    expect(run.stderr).toMatch(/note: API Gateway has no CloudWatch role in this account/);
  });
});

describe('with --configure-account-logging', () => {
  it("sets the account's CloudWatch role once, then access logs (JSON) and execution logs at ERROR", async () => {
    const run = await converge(['--configure-account-logging']);
    expect(run.stdout).toContain('cloudwatch-role: bridge-apigateway-cloudwatch');
    expect((await apigw.send(new GetAccountCommand({}))).cloudwatchRoleArn).toBe(`arn:aws:iam::${LOCAL_ACCOUNT}:role/bridge/bridge-apigateway-cloudwatch`);
    const stage = await apigw.send(new GetStageCommand({ restApiId: apiId, stageName: 'prod' }));
    expect(stage.accessLogSettings).toEqual({ destinationArn: `arn:aws:logs:us-east-1:${LOCAL_ACCOUNT}:log-group:/aws/apigateway/${stack}-api`, format: ACCESS_LOG_FORMAT });
    expect(Object.keys(JSON.parse(ACCESS_LOG_FORMAT))).toEqual(expect.arrayContaining(['requestId', 'caller', 'userArn', 'status', 'responseLatency']));
    expect(stage.methodSettings?.['*/*']?.loggingLevel).toBe('ERROR');
    expect(await deployments()).toBe(1);
    // Now the role is there, later runs need no flag and change nothing.
    const again = await converge();
    expect(mutatingCalls(again)).toEqual([]);
    expect(again.stderr).not.toMatch(/note:/);
  });
});

describe('setup repairs API drift', () => {
  it('authorization switched to NONE and deployed: method, integration and deployment put back', async () => {
    // What a console "quick fix" does: the method replaced without auth, then deployed.
    await apigw.send(new PutMethodCommand({ restApiId: apiId, resourceId: dataResourceId, httpMethod: 'GET', authorizationType: 'NONE' }));
    await apigw.send(
      new PutIntegrationCommand({
        restApiId: apiId,
        resourceId: dataResourceId,
        httpMethod: 'GET',
        type: 'AWS_PROXY',
        integrationHttpMethod: 'POST',
        uri: `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:${stack}-ingest/invocations`,
      }),
    );
    const rogue = await apigw.send(new CreateDeploymentCommand({ restApiId: apiId, description: 'quick fix' }));
    await apigw.send(new UpdateStageCommand({ restApiId: apiId, stageName: 'prod', patchOperations: [{ op: 'replace', path: '/deploymentId', value: rogue.id }] }));
    const run = await converge();
    expect(run.stdout).toContain('method: NONE -> AWS_IAM');
    expect(run.stdout).toMatch(/deployment: quick fix -> bridge definition [0-9a-f]{16}/);
    expect(mutatingCalls(run)).toEqual([
      'apigateway:DeleteMethod',
      'apigateway:PutMethod',
      'apigateway:PutIntegration',
      'apigateway:CreateDeployment',
      'apigateway:UpdateStage',
    ]);
    const method = await apigw.send(new GetMethodCommand({ restApiId: apiId, resourceId: dataResourceId, httpMethod: 'GET' }));
    expect(method.authorizationType).toBe('AWS_IAM');
    expect(method.methodIntegration?.type).toBe('AWS_PROXY');
    const again = await converge();
    expect(mutatingCalls(again)).toEqual([]);
  });

  it('access logging removed', async () => {
    await apigw.send(new UpdateStageCommand({ restApiId: apiId, stageName: 'prod', patchOperations: [{ op: 'remove', path: '/accessLogSettings' }] }));
    const run = await converge();
    expect(run.stdout).toMatch(/access-logging: off -> arn:aws:logs:us-east-1:123456789012:log-group:\/aws\/apigateway\/apicheck-api/);
    expect(mutatingCalls(run)).toEqual(['apigateway:UpdateStage']);
    expect((await apigw.send(new GetStageCommand({ restApiId: apiId, stageName: 'prod' }))).accessLogSettings?.format).toBe(ACCESS_LOG_FORMAT);
  });

  it('throttling lifted and tracing turned off', async () => {
    await apigw.send(
      new UpdateStageCommand({
        restApiId: apiId,
        stageName: 'prod',
        patchOperations: [
          { op: 'replace', path: '/*/*/throttling/rateLimit', value: '10000' },
          { op: 'replace', path: '/tracingEnabled', value: 'false' },
        ],
      }),
    );
    const run = await converge();
    expect(run.stdout).toContain('throttling: 10000/s burst 2 -> 2/s burst 2');
    expect(run.stdout).toContain('tracing: off -> on');
    expect(mutatingCalls(run)).toEqual(['apigateway:UpdateStage']);
  });

  it('a wider Lambda permission added: removed, ours kept', async () => {
    await lambda.send(new AddPermissionCommand({ FunctionName: `${stack}-ingest`, StatementId: 'anyapi', Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' }));
    const run = await converge();
    expect(run.stdout).toContain('- anyapi: apigateway.amazonaws.com may lambda:InvokeFunction from anywhere');
    expect(mutatingCalls(run)).toEqual(['lambda:RemovePermission']);
    const policy = JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: `${stack}-ingest` }))).Policy as string);
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['bridge-api-get-data']);
  });
});

describe('--api-auth api-key', () => {
  const keyFile = join(mkdtempSync(join(tmpdir(), 'bridge-apikey-')), 'api-key');

  it('requires an API key, in a usage plan with throttling and a daily quota, its value only in a 0600 file', async () => {
    const before = await deployments();
    const run = await converge(['--api-auth', 'api-key', '--api-key-file', keyFile, '--api-daily-quota', '500']);
    const method = await apigw.send(new GetMethodCommand({ restApiId: apiId, resourceId: dataResourceId, httpMethod: 'GET' }));
    expect(method).toMatchObject({ authorizationType: 'NONE', apiKeyRequired: true });
    expect(await deployments()).toBe(before + 1);
    const plan = (await apigw.send(new GetUsagePlansCommand({}))).items?.find((p) => p.name === `${stack}-usage-plan`);
    expect(plan).toMatchObject({ throttle: { rateLimit: 2, burstLimit: 2 }, quota: { limit: 500, period: 'DAY' }, apiStages: [{ apiId, stage: 'prod' }] });
    const key = (await apigw.send(new GetApiKeysCommand({}))).items?.find((k) => k.name === `${stack}-api-key`);
    expect(key?.enabled).toBe(true);
    expect((await apigw.send(new GetUsagePlanKeysCommand({ usagePlanId: plan?.id }))).items?.map((k) => k.id)).toEqual([key?.id]);
    const value = (await apigw.send(new GetApiKeyCommand({ apiKey: key?.id, includeValue: true }))).value as string;
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(value);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(run.stdout + run.stderr).not.toContain(value);
    expect(run.stdout).toContain('(GET, with the API key in x-api-key)');
  });

  it('is kept by later runs that do not name it', async () => {
    const run = await converge(['--api-daily-quota', '500', '--api-key-file', keyFile]);
    expect(mutatingCalls(run)).toEqual([]);
  });

  it('--api-auth aws-iam goes back, and removes the plan and key', async () => {
    const run = await converge(['--api-auth', 'aws-iam']);
    expect(run.stdout).toContain('method: NONE + API key -> AWS_IAM');
    const method = await apigw.send(new GetMethodCommand({ restApiId: apiId, resourceId: dataResourceId, httpMethod: 'GET' }));
    expect(method.authorizationType).toBe('AWS_IAM');
    expect((await apigw.send(new GetUsagePlansCommand({}))).items?.some((p) => p.name === `${stack}-usage-plan`)).toBe(false);
    expect((await apigw.send(new GetApiKeysCommand({}))).items?.some((k) => k.name === `${stack}-api-key`)).toBe(false);
    expect(mutatingCalls(await converge())).toEqual([]);
  });

  it('NONE is not offered', async () => {
    const run = await runCli(['setup', '--stack', stack, '--api-auth', 'NONE']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/an API without authorization is not offered/);
  });
});

describe('bridge invoke --via-api', () => {
  it('says clearly that the local AWS cannot serve API calls, and what to use', async () => {
    const run = await runCli(['invoke', '--stack', stack, '--via-api']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot serve API calls \(the local AWS cannot run a Lambda function behind API Gateway\): use bridge invoke --local/);
  });
});

describe('a same-named REST API without the tag', () => {
  it('is refused, and nothing changes', async () => {
    await apigw.send(new CreateRestApiCommand({ name: 'otherstack-api' }));
    const run = await runCli(['setup', '--stack', 'otherstack', '--verbose', '--source-url', 'https://api.example.com/w', '--api-key-env', 'TEST_SOURCE_KEY'], { env: { TEST_SOURCE_KEY } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/REST API 'otherstack-api' exists but is not tagged bridge:stack/);
    expect(mutatingCalls(run)).toEqual([]);
  });
});
