/**
 * A data bridge bridge did not build, found from its function (`audit --from-function NAME`): the
 * role and every policy on it, the buckets it writes to (named in its environment or its role's S3
 * grants), the REST APIs whose integrations call it and their stages, its log group and resource
 * policy, the KMS keys involved, and the people's side when named. Read calls only; a part that
 * cannot be read is recorded, so the controls that need it are ERROR, never PASS.
 */
import { GetRestApisCommand, GetResourcesCommand, GetMethodCommand, GetStagesCommand } from '@aws-sdk/client-api-gateway';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetGroupCommand, GetRoleCommand, GetUserCommand, ListGroupsForUserCommand } from '@aws-sdk/client-iam';
import { DescribeKeyCommand, GetKeyRotationStatusCommand } from '@aws-sdk/client-kms';
import { GetFunctionCommand, GetPolicyCommand } from '@aws-sdk/client-lambda';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { BridgeError, awsFailureText, unlessNotFound } from '../../errors.js';
import { parsePolicy, type PolicyDocument, type PolicyStatement } from '../../policy.js';
import type { BucketLive } from '../../resources/bucket-state.js';
import { readBucketSettings } from '../../resources/bucket.js';
import { readPrincipalPolicies, type Principal } from '../../resources/iam-policies.js';
import type { StackContext } from '../../resources/types.js';
import { bucketNameProblem } from '../../validate.js';
import { managedPolicyDocuments, loadActionCatalogue } from '../snapshot.js';
import { servicesNamed, type ActionCatalogue } from '../permissions.js';
import { secretLikeVariables } from '../controls/lambda.js';

/** A policy a principal holds, named as people know it. */
export interface HeldPolicy {
  name: string;
  kind: 'inline' | 'customer managed' | 'AWS managed';
  arn?: string;
  document: PolicyDocument;
}

export interface HandBuiltPrincipal {
  kind: Principal['kind'];
  name: string;
  arn: string;
  policies: HeldPolicy[];
  trust?: PolicyDocument | null;
  /** A group's members; a user's groups. */
  members?: string[];
  groups?: string[];
}

export interface HandBuiltBucket {
  name: string;
  arn: string;
  /** How it was found: "the function's environment (S3_BUCKET_NAME)". */
  foundBy: string;
  settings: Omit<BucketLive, 'tags'>;
  /** The default encryption's KMS key, where it names or implies one. */
  key: { arn: string; manager: string; rotation: boolean | null } | null;
}

export interface HandBuiltApi {
  id: string;
  name: string;
  arn: string;
  /** The methods whose integration calls the function. */
  methods: { path: string; httpMethod: string; authorization: string; apiKeyRequired: boolean }[];
  stages: { name: string; arn: string; accessLogDestination: string | null }[];
}

export interface HandBuilt {
  account: string;
  region: string;
  partition: string;
  now: Date;
  function: { name: string; arn: string; runtime: string; roleArn: string; environment: Record<string, string>; permissions: PolicyStatement[] };
  role: HandBuiltPrincipal | null;
  buckets: HandBuiltBucket[];
  apis: HandBuiltApi[];
  logGroup: { name: string; arn: string; retentionDays: number | null; kmsKeyId: string | null } | null;
  /** The people's side, with --operators-group or --operators-user; the users' own policies besides. */
  operators: { group: HandBuiltPrincipal | null; users: HandBuiltPrincipal[] } | null;
  /** What could not be read, by part: 'role', 'buckets', 'apis', 'log-group', 'function-policy', 'operators'. */
  errors: Map<string, string>;
  actions: ActionCatalogue;
  /** What was found, for the report's header. */
  discovered: string[];
}

export interface DiscoverOptions {
  functionName: string;
  operatorsGroup?: string;
  operatorsUser?: string;
}

const lastSegment = (arn: string) => arn.split('/').pop() as string;

async function principalOf(ctx: StackContext, principal: Principal, arn: string): Promise<HandBuiltPrincipal> {
  const held = await readPrincipalPolicies(ctx.aws.iam, principal);
  const documents = await managedPolicyDocuments(ctx, held.attached);
  const policies: HeldPolicy[] = [
    ...Object.entries(held.inline).map(([name, document]) => ({ name, kind: 'inline' as const, document })),
    ...held.attached.flatMap((policyArn) => {
      const document = documents.get(policyArn);
      const kind = /:iam::aws:policy\//.test(policyArn) ? ('AWS managed' as const) : ('customer managed' as const);
      return document ? [{ name: lastSegment(policyArn), kind, arn: policyArn, document }] : [];
    }),
  ];
  return { kind: principal.kind, name: principal.name, arn, policies };
}

/** Bucket names a value or an S3 resource ARN names (no wildcard in the bucket part). */
function bucketNamed(value: string): string | null {
  const fromArn = /^arn:[\w-]+:s3:::([^/*?]+)(\/.*)?$/.exec(value)?.[1];
  const name = fromArn ?? value;
  return bucketNameProblem(name) === undefined && /[a-z]/.test(name) && !/[*?]/.test(name) ? name : null;
}

async function readKey(ctx: StackContext, keyId: string | undefined): Promise<HandBuiltBucket['key']> {
  // aws:kms naming no key is S3's AWS managed key aws/s3, by definition (it is made on first use,
  // so there may be nothing to describe yet); so is any aws/ alias.
  if (!keyId || /(^|:)alias\/aws\//.test(keyId)) return { arn: keyId ?? 'alias/aws/s3', manager: 'AWS', rotation: null };
  // A key that cannot be described fails the read (ERROR), never a pass on what is not known.
  const meta = (await ctx.aws.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
  const manager = meta?.KeyManager ?? 'unknown';
  const rotation = manager === 'CUSTOMER' ? ((await ctx.aws.kms.send(new GetKeyRotationStatusCommand({ KeyId: meta?.KeyId }))).KeyRotationEnabled ?? null) : null;
  return { arn: meta?.Arn ?? keyId, manager, rotation };
}

async function readBuckets(ctx: StackContext, environment: Record<string, string>, role: HandBuiltPrincipal | null): Promise<HandBuiltBucket[]> {
  const candidates = new Map<string, string>();
  // A value that looks like a secret is never sent anywhere, not even as a bucket name to ask about
  // (an OpenWeatherMap key, 32 lowercase hex characters, is a valid bucket name).
  const secret = new Set(secretLikeVariables(environment).map((line) => line.split(' ')[0] as string));
  for (const [variable, value] of Object.entries(environment)) {
    if (secret.has(variable)) continue;
    const name = bucketNamed(value);
    if (name && !candidates.has(name)) candidates.set(name, `the function's environment (${variable})`);
  }
  for (const policy of role?.policies ?? []) {
    for (const statement of policy.document.Statement) {
      const actions = [statement.Action ?? []].flat().map(String);
      if (statement.Effect !== 'Allow' || !actions.some((a) => /^s3:|^\*$/i.test(a))) continue;
      for (const resource of [statement.Resource ?? []].flat().map(String)) {
        const name = bucketNamed(resource);
        if (name && resource.startsWith('arn:') && !candidates.has(name)) candidates.set(name, `the role's S3 grants (${policy.name})`);
      }
    }
  }
  const found: HandBuiltBucket[] = [];
  for (const [name, foundBy] of candidates) {
    // A value that only looks like a bucket name (a city, a word) is not one: S3 says which exist.
    // 403 is a bucket of someone else's (or one these credentials may not see), 301 one in another
    // region: neither is this stack's, and neither stops the others being found.
    const exists = await ctx.aws.s3.send(new HeadBucketCommand({ Bucket: name })).then(
      () => true,
      (error: unknown) => {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 404 || status === 403 || status === 301 || status === 400) return false;
        throw error;
      },
    );
    if (!exists) continue;
    const settings = await readBucketSettings(ctx.aws.s3, name);
    const encryption = settings.encryption;
    const key = encryption?.algorithm === 'aws:kms' ? await readKey(ctx, encryption.keyId) : null;
    found.push({ name, arn: `arn:${ctx.names.partition}:s3:::${name}`, foundBy, settings, key });
  }
  return found;
}

/** Every resource of a REST API, page by page. */
export async function apiResources(ctx: StackContext, restApiId: string): Promise<{ id?: string; path?: string; resourceMethods?: Record<string, unknown> }[]> {
  const items: { id?: string; path?: string; resourceMethods?: Record<string, unknown> }[] = [];
  let position: string | undefined;
  do {
    const page = await ctx.aws.apigateway.send(new GetResourcesCommand({ restApiId, limit: 500, position }));
    items.push(...(page.items ?? []));
    position = page.position;
  } while (position);
  return items;
}

function invokes(uri: string | undefined, functionArn: string): boolean {
  return !!uri && (uri.includes(`/functions/${functionArn}/`) || uri.includes(`/functions/${functionArn}:`));
}

async function readApis(ctx: StackContext, functionArn: string): Promise<HandBuiltApi[]> {
  const apis: HandBuiltApi[] = [];
  let position: string | undefined;
  const all: { id?: string; name?: string }[] = [];
  do {
    const page = await ctx.aws.apigateway.send(new GetRestApisCommand({ limit: 500, position }));
    all.push(...(page.items ?? []));
    position = page.position;
  } while (position);
  for (const api of all) {
    const restApiId = api.id as string;
    const resources = await apiResources(ctx, restApiId);
    const methods: HandBuiltApi['methods'] = [];
    for (const resource of resources) {
      for (const httpMethod of Object.keys(resource.resourceMethods ?? {})) {
        const method = await ctx.aws.apigateway.send(new GetMethodCommand({ restApiId, resourceId: resource.id as string, httpMethod }));
        if (!invokes(method.methodIntegration?.uri, functionArn)) continue;
        methods.push({ path: resource.path ?? '/', httpMethod, authorization: method.authorizationType ?? 'NONE', apiKeyRequired: method.apiKeyRequired === true });
      }
    }
    if (methods.length === 0) continue;
    const arn = `arn:${ctx.names.partition}:apigateway:${ctx.names.region}::/restapis/${restApiId}`;
    const stages = ((await ctx.aws.apigateway.send(new GetStagesCommand({ restApiId }))).item ?? []).map((stage) => ({
      name: stage.stageName as string,
      arn: `${arn}/stages/${stage.stageName}`,
      accessLogDestination: stage.accessLogSettings?.destinationArn ?? null,
    }));
    apis.push({ id: restApiId, name: api.name ?? restApiId, arn, methods, stages });
  }
  return apis;
}

async function readOperators(ctx: StackContext, options: DiscoverOptions): Promise<HandBuilt['operators']> {
  const iam = ctx.aws.iam;
  let group: HandBuiltPrincipal | null = null;
  let userNames: string[] = [];
  if (options.operatorsGroup) {
    const found = await iam.send(new GetGroupCommand({ GroupName: options.operatorsGroup }));
    group = await principalOf(ctx, { kind: 'group', name: options.operatorsGroup }, found.Group?.Arn as string);
    userNames = (found.Users ?? []).map((u) => u.UserName as string);
    group.members = userNames;
  }
  if (options.operatorsUser) userNames = [...new Set([...userNames, options.operatorsUser])];
  const users = await Promise.all(
    userNames.map(async (UserName) => {
      const user = await iam.send(new GetUserCommand({ UserName }));
      const held = await principalOf(ctx, { kind: 'user', name: UserName }, user.User?.Arn as string);
      held.groups = ((await iam.send(new ListGroupsForUserCommand({ UserName }))).Groups ?? []).map((g) => g.GroupName as string);
      return held;
    }),
  );
  return { group, users };
}

/** Runs one part of the discovery; a failure is recorded under its name and the part is empty. */
async function part<T>(errors: Map<string, string>, name: string, empty: T, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    errors.set(name, awsFailureText(error));
    return empty;
  }
}

export async function discoverHandBuilt(ctx: StackContext, options: DiscoverOptions, now = new Date()): Promise<HandBuilt> {
  const FunctionName = options.functionName;
  const fn = await unlessNotFound(ctx.aws.lambda.send(new GetFunctionCommand({ FunctionName })), 'ResourceNotFoundException');
  const configuration = fn?.Configuration;
  if (!configuration) {
    throw new BridgeError(`no function ${FunctionName} in ${ctx.names.region} (account ${ctx.names.account}): check --from-function and --region`);
  }
  const errors = new Map<string, string>();
  const functionArn = configuration.FunctionArn as string;
  const roleArn = configuration.Role ?? '';
  const environment = configuration.Environment?.Variables ?? {};
  const [permissions, role, apis, logGroup, operators] = await Promise.all([
    part(errors, 'function-policy', [] as PolicyStatement[], async () => {
      const policy = await unlessNotFound(ctx.aws.lambda.send(new GetPolicyCommand({ FunctionName })), 'ResourceNotFoundException');
      return policy?.Policy ? parsePolicy(policy.Policy).Statement : [];
    }),
    part(errors, 'role', null as HandBuiltPrincipal | null, async () => {
      const RoleName = lastSegment(roleArn);
      const found = (await ctx.aws.iam.send(new GetRoleCommand({ RoleName }))).Role;
      const held = await principalOf(ctx, { kind: 'role', name: RoleName }, found?.Arn ?? roleArn);
      held.trust = found?.AssumeRolePolicyDocument ? parsePolicy(found.AssumeRolePolicyDocument) : null;
      return held;
    }),
    part(errors, 'apis', [] as HandBuiltApi[], () => readApis(ctx, functionArn)),
    part(errors, 'log-group', null as HandBuilt['logGroup'], async () => {
      const name = `/aws/lambda/${FunctionName}`;
      const groups = (await ctx.aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }))).logGroups ?? [];
      const group = groups.find((g) => g.logGroupName === name);
      return group ? { name, arn: (group.arn ?? '').replace(/:\*$/, ''), retentionDays: group.retentionInDays ?? null, kmsKeyId: group.kmsKeyId ?? null } : null;
    }),
    options.operatorsGroup || options.operatorsUser ? part(errors, 'operators', null as HandBuilt['operators'], () => readOperators(ctx, options)) : Promise.resolve(null),
  ]);
  // After the role: its S3 grants name buckets too (without it, the environment's alone).
  const buckets = await part(errors, 'buckets', [] as HandBuiltBucket[], () => readBuckets(ctx, environment, role));
  const documents = [...(role?.policies ?? []), ...(operators?.group?.policies ?? []), ...(operators?.users ?? []).flatMap((u) => u.policies)].map((p) => p.document);
  const named = servicesNamed(documents);
  const discovered = [
    `function ${functionArn} (${configuration.Runtime ?? 'no runtime'})`,
    ...(role ? [`role ${role.arn}: ${role.policies.map((p) => `${p.name} (${p.kind})`).join(', ') || 'no policies'}`] : []),
    ...buckets.map((b) => `bucket ${b.name}, from ${b.foundBy}`),
    ...apis.map((a) => `REST API ${a.name} (${a.id}): ${a.methods.map((m) => `${m.httpMethod} ${m.path}`).join(', ')}; stages ${a.stages.map((s) => s.name).join(', ') || 'none'}`),
    logGroup ? `log group ${logGroup.name}` : `no log group /aws/lambda/${FunctionName}`,
    ...(operators?.group ? [`operators group ${operators.group.name}: ${operators.group.members?.join(', ') || 'no members'}`] : []),
    ...(operators?.users ?? []).map((u) => `operator user ${u.name}`),
  ];
  return {
    account: ctx.names.account,
    region: ctx.names.region,
    partition: ctx.names.partition,
    now,
    function: { name: FunctionName, arn: functionArn, runtime: configuration.Runtime ?? '', roleArn, environment, permissions },
    role,
    buckets,
    apis,
    logGroup,
    operators,
    errors,
    actions: await loadActionCatalogue(named.services, named.all),
    discovered,
  };
}
