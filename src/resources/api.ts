/**
 * The REST API S-api: regional, one resource /data, GET protected by AWS_IAM (or an API key),
 * a Lambda proxy integration to the function, stage prod with access logs, execution logs at
 * ERROR, throttling and X-Ray. A deployment is made only when the definition changed: bridge
 * names its deployments after a hash of the definition, so a rerun can tell. Reading and changing
 * it live here; what it should be and what differs, pure, in api-state.ts.
 */
import {
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  CreateStageCommand,
  DeleteMethodCommand,
  DeleteRestApiCommand,
  GetDeploymentCommand,
  GetResourcesCommand,
  GetRestApisCommand,
  GetStageCommand,
  PutIntegrationCommand,
  PutMethodCommand,
  TagResourceCommand,
  UpdateStageCommand,
  type Resource as ApiGatewayResource,
} from '@aws-sdk/client-api-gateway';
import { BridgeError, NotOursError, unlessNotFound } from '../errors.js';
import { apiArns } from '../names.js';
import { ACCESS_LOG_FORMAT, authOf, definitionFromStage, definitionHash, deploymentDescription, diffApi, stageDescription, stagePatches, type ApiIntended, type ApiLive, type StageLive } from './api-state.js';
import { isOurs, stackTags, tagsChange, type Tags } from './tags.js';
import { KNOWN_AFTER_APPLY, liveFrom, type Resource, type StackContext } from './types.js';

export function integrationUri(ctx: StackContext): string {
  const n = ctx.names;
  return `arn:${n.partition}:apigateway:${n.region}:lambda:path/2015-03-31/functions/${n.functionArn}/invocations`;
}

/** The REST API itself: found by name, proven ours by its tag. */
export interface RestApiLive {
  id: string;
  tags: Tags;
  rootResourceId: string;
  /** Other APIs of the stack's name tagged for it (left by runs that raced): the audit reports them. */
  duplicates?: string[];
}

async function findApi(ctx: StackContext): Promise<RestApiLive | null> {
  const named: { id: string; tags: Tags; rootResourceId: string }[] = [];
  let position: string | undefined;
  do {
    const page = await ctx.aws.apigateway.send(new GetRestApisCommand({ limit: 500, position }));
    for (const api of page.items ?? []) {
      if (api.name === ctx.names.apiName) named.push({ id: api.id as string, tags: api.tags ?? {}, rootResourceId: api.rootResourceId ?? '' });
    }
    position = page.position;
  } while (position);
  const [ours, ...duplicates] = named.filter((api) => isOurs(api.tags, ctx.config.stack));
  if (ours) return { ...ours, duplicates: duplicates.map((api) => apiArns(ctx.names, api.id).restApiArn) };
  if (named.length > 0) throw new NotOursError('REST API', ctx.names.apiName, 'Choose another --stack, or rename that API.');
  return null;
}

async function readStage(ctx: StackContext, restApiId: string): Promise<StageLive | null> {
  const stage = await unlessNotFound(ctx.aws.apigateway.send(new GetStageCommand({ restApiId, stageName: ctx.names.apiStage })));
  if (!stage) return null;
  const deploymentDescription = stage.deploymentId
    ? (definitionFromStage(stage.description, stage.deploymentId) ??
      (await ctx.aws.apigateway.send(new GetDeploymentCommand({ restApiId, deploymentId: stage.deploymentId }))).description ??
      '')
    : '';
  const all = stage.methodSettings?.['*/*'];
  return {
    deploymentId: stage.deploymentId ?? '',
    deploymentDescription,
    tracingEnabled: stage.tracingEnabled === true,
    accessLog: stage.accessLogSettings?.destinationArn
      ? { destinationArn: stage.accessLogSettings.destinationArn, format: stage.accessLogSettings.format ?? '' }
      : null,
    loggingLevel: all?.loggingLevel ?? 'OFF',
    dataTrace: all?.dataTraceEnabled === true,
    rateLimit: all?.throttlingRateLimit ?? null,
    burstLimit: all?.throttlingBurstLimit ?? null,
    tags: stage.tags ?? {},
  };
}

/** The method, integration and stage; `lives` holds the REST API when the engine read it already. */
export async function readApi(ctx: StackContext, lives?: ReadonlyMap<string, unknown>): Promise<ApiLive | null> {
  const api = lives ? liveFrom(lives, restApiShell) : await findApi(ctx);
  if (!api) return null;
  const resources: ApiGatewayResource[] = [];
  let position: string | undefined;
  do {
    const page = await ctx.aws.apigateway.send(new GetResourcesCommand({ restApiId: api.id, embed: ['methods'], limit: 500, position }));
    resources.push(...(page.items ?? []));
    position = page.position;
  } while (position);
  const root = resources.find((r) => r.path === '/');
  const data = resources.find((r) => r.path === '/data');
  const get = data?.resourceMethods?.GET;
  const integration = get?.methodIntegration;
  return {
    id: api.id,
    tags: api.tags,
    rootResourceId: root?.id ?? api.rootResourceId,
    dataResourceId: data?.id ?? null,
    method: get
      ? {
          authorizationType: get.authorizationType ?? 'NONE',
          apiKeyRequired: get.apiKeyRequired === true,
          integration: integration ? { type: integration.type ?? '', httpMethod: integration.httpMethod ?? '', uri: integration.uri ?? '' } : null,
        }
      : null,
    stage: await readStage(ctx, api.id),
  };
}

export function apiIntended(ctx: StackContext): ApiIntended {
  const auth = ctx.config.api.auth ?? ctx.refs.apiAuth ?? 'aws-iam';
  const definition = {
    authorizationType: auth === 'aws-iam' ? ('AWS_IAM' as const) : ('NONE' as const),
    apiKeyRequired: auth === 'api-key',
    integrationUri: integrationUri(ctx),
  };
  const canLog = ctx.refs.accountLoggingRole !== undefined || ctx.config.api.configureAccountLogging;
  return {
    auth,
    ...definition,
    definitionHash: definitionHash(definition),
    accessLog: canLog ? { destinationArn: ctx.names.apiLogGroupArn, format: ACCESS_LOG_FORMAT } : null,
    loggingLevel: canLog ? 'ERROR' : 'OFF',
    rateLimit: ctx.config.api.rateLimit,
    burstLimit: ctx.config.api.burstLimit,
    tags: stackTags(ctx.config.stack),
  };
}

/**
 * The REST API on its own, made first: its id names the execution log group API Gateway writes
 * to, which the key policy must allow and which must exist (encrypted, with retention) before
 * execution logging is turned on.
 */
export const restApiShell: Resource<RestApiLive, { tags: Tags }> = {
  kind: 'rest-api',
  title: 'REST API',
  dependsOn: [],
  ownership: {
    of: 'stack',
    retire: (live) => (live ? { action: 'remove' } : { action: 'absent' }),
    async destroy(ctx, live) {
      // The API takes its resources, methods, stage and deployments with it.
      await ctx.aws.apigateway.send(new DeleteRestApiCommand({ restApiId: live.id }));
    },
  },
  name: (ctx) => ctx.names.apiName,
  read: (ctx) => findApi(ctx),
  learn(ctx, live) {
    if (!live) return;
    ctx.refs.apiId = live.id;
    ctx.refs.apiRootResourceId = live.rootResourceId;
  },
  intended: (ctx) => ({ tags: stackTags(ctx.config.stack) }),
  diff: (live, intended) => (live ? tagsChange(live.tags, intended.tags) : [{ field: 'api' }, { field: 'tags' }]),
  async apply(ctx, live, intended) {
    const apigw = ctx.aws.apigateway;
    if (live) {
      await apigw.send(new TagResourceCommand({ resourceArn: apiArns(ctx.names, live.id).restApiArn, tags: intended.tags }));
      return;
    }
    const created = await apigw.send(
      new CreateRestApiCommand({
        name: ctx.names.apiName,
        description: `bridge stack ${ctx.config.stack}: GET /data runs the ingest function`,
        endpointConfiguration: { types: ['REGIONAL'] },
        tags: intended.tags,
      }),
    );
    ctx.refs.apiId = created.id as string;
    ctx.refs.apiRootResourceId = created.rootResourceId;
  },
  describe: (ctx) => ({ name: ctx.names.apiName, arn: ctx.refs.apiId ? apiArns(ctx.names, ctx.refs.apiId).restApiArn : KNOWN_AFTER_APPLY }),
};

export const restApi: Resource<ApiLive, ApiIntended> = {
  kind: 'api',
  title: 'API method and stage',
  dependsOn: ['rest-api', 'function', 'api-log-group', 'api-execution-log-group', 'api-account-logging'],
  ownership: { of: 'part', partOf: 'rest-api' },
  name: (ctx) => `${ctx.names.apiName} GET /data, stage ${ctx.names.apiStage}`,
  read: (ctx, lives) => readApi(ctx, lives),
  learn(ctx, live) {
    if (!live) return;
    const auth = authOf(live.method);
    if (auth) ctx.refs.apiAuth = auth;
  },
  intended: apiIntended,
  diff: diffApi,
  async apply(ctx, live, intended, changes) {
    const apigw = ctx.aws.apigateway;
    const fields = new Set(changes.map((c) => c.field));
    const id = ctx.refs.apiId;
    if (!id) throw new BridgeError('internal: the REST API was not made before its method');
    let rootResourceId = live?.rootResourceId ?? ctx.refs.apiRootResourceId;
    if (!rootResourceId) {
      const resources = await apigw.send(new GetResourcesCommand({ restApiId: id }));
      rootResourceId = resources.items?.find((r) => r.path === '/')?.id;
    }
    let resourceId = live?.dataResourceId ?? null;
    if (!resourceId) {
      resourceId = (await apigw.send(new CreateResourceCommand({ restApiId: id, parentId: rootResourceId as string, pathPart: 'data' }))).id as string;
    }
    if (fields.has('method')) {
      // Methods cannot be patched everywhere (nor on the local AWS): replace it whole.
      if (live?.method) await apigw.send(new DeleteMethodCommand({ restApiId: id, resourceId, httpMethod: 'GET' }));
      await apigw.send(
        new PutMethodCommand({ restApiId: id, resourceId, httpMethod: 'GET', authorizationType: intended.authorizationType, apiKeyRequired: intended.apiKeyRequired }),
      );
    }
    if (fields.has('method') || fields.has('integration')) {
      await apigw.send(
        new PutIntegrationCommand({ restApiId: id, resourceId, httpMethod: 'GET', type: 'AWS_PROXY', integrationHttpMethod: 'POST', uri: intended.integrationUri }),
      );
    }
    let stageCreated = false;
    if (fields.has('deployment')) {
      const deployment = await apigw.send(new CreateDeploymentCommand({ restApiId: id, description: deploymentDescription(intended.definitionHash) }));
      if (live?.stage) {
        await apigw.send(
          new UpdateStageCommand({
            restApiId: id,
            stageName: ctx.names.apiStage,
            patchOperations: [
              { op: 'replace', path: '/deploymentId', value: deployment.id },
              { op: 'replace', path: '/description', value: stageDescription(intended.definitionHash, deployment.id as string) },
            ],
          }),
        );
      } else {
        await apigw.send(
          new CreateStageCommand({
            restApiId: id,
            stageName: ctx.names.apiStage,
            deploymentId: deployment.id,
            description: stageDescription(intended.definitionHash, deployment.id as string),
            tracingEnabled: true,
            tags: intended.tags,
          }),
        );
        stageCreated = true;
      }
    }
    const patches = stagePatches(stageCreated ? new Set(['access-logging', 'execution-logging', 'throttling']) : fields, intended);
    if (patches.length > 0) await apigw.send(new UpdateStageCommand({ restApiId: id, stageName: ctx.names.apiStage, patchOperations: patches }));
    const arns = apiArns(ctx.names, id);
    if (live?.stage && fields.has('stage-tags')) await apigw.send(new TagResourceCommand({ resourceArn: arns.stageArn, tags: intended.tags }));
  },
  describe(ctx): Record<string, string> {
    const id = ctx.refs.apiId;
    if (!id) return { name: ctx.names.apiName, arn: KNOWN_AFTER_APPLY, invokeUrl: KNOWN_AFTER_APPLY };
    const arns = apiArns(ctx.names, id);
    return {
      name: ctx.names.apiName,
      id,
      arn: arns.restApiArn,
      stage: ctx.names.apiStage,
      invokeUrl: arns.invokeUrl,
      methodArn: arns.methodArn,
      auth: apiIntended(ctx).auth,
    };
  },
};

