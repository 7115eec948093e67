/**
 * The ingest function S-ingest: the stack role, the newest supported Node.js runtime, X-Ray
 * tracing, reserved concurrency, and an environment holding only non-secret settings. Code is
 * uploaded only when the deterministic bundle's hash differs from the deployed CodeSha256. What it
 * should be and what differs, pure, are in function-state.ts.
 */
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  GetAccountSettingsCommand,
  GetFunctionCommand,
  ListTagsCommand,
  PutFunctionConcurrencyCommand,
  TagResourceCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { ENV, keyPlacementOf } from '../../handler/core.js';
import { LAMBDA_HANDLER } from '../bundle.js';
import { defaultKeyPlacement, formatKeyPlacement } from '../config.js';
import { BridgeError, NotOursError, awsErrorName, httpStatusOf, unlessNotFound } from '../errors.js';
import { PROPAGATION, untilPropagated } from '../retry.js';
import { DEFAULT_RUNTIME } from '../runtimes.js';
import { CONFIG_FIELDS, accountWhy, diffFunction, isBelowUnreservedMinimum, reservationFits, reservationSkippedNote, type AccountConcurrency, type FunctionIntended, type FunctionLive } from './function-state.js';
import { isOurs, stackTags, type Tags } from './tags.js';
import { KNOWN_AFTER_APPLY, type Resource, type StackContext } from './types.js';

export async function readFunction(ctx: StackContext): Promise<FunctionLive | null> {
  const FunctionName = ctx.names.functionName;
  const fn = await unlessNotFound(ctx.aws.lambda.send(new GetFunctionCommand({ FunctionName })), 'ResourceNotFoundException');
  if (!fn) return null;
  const c = fn.Configuration ?? {};
  const tags = fn.Tags ?? (await functionTags(ctx, c.FunctionArn ?? ctx.names.functionArn));
  if (!isOurs(tags, ctx.config.stack)) throw new NotOursError('Lambda function', FunctionName, 'Choose another --stack.');
  // GetFunction carries the reserved concurrency (absent when none is set): no GetFunctionConcurrency.
  const reserved = fn.Concurrency?.ReservedConcurrentExecutions ?? null;
  const want = ctx.config.reservedConcurrency;
  return {
    arn: c.FunctionArn as string,
    runtime: c.Runtime ?? '',
    role: c.Role ?? '',
    handler: c.Handler ?? '',
    timeout: c.Timeout ?? 0,
    memory: c.MemorySize ?? 0,
    architectures: c.Architectures ?? ['x86_64'],
    environment: c.Environment?.Variables ?? {},
    tracing: c.TracingConfig?.Mode ?? 'PassThrough',
    codeSha256: c.CodeSha256 ?? '',
    lastUpdateStatus: c.LastUpdateStatus ?? 'Successful',
    reservedConcurrency: reserved,
    accountConcurrency: want !== null && reserved !== want ? await readAccountConcurrency(ctx) : null,
    tags,
  };
}

/**
 * GetFunction returns Tags only to callers allowed lambda:ListTags (else a TagsError): then
 * ownership is read with ListTags, and a caller without it is told so, never "not ours" (which
 * would make teardown leave the function and remove its role).
 */
async function functionTags(ctx: StackContext, arn: string): Promise<Tags> {
  try {
    return (await ctx.aws.lambda.send(new ListTagsCommand({ Resource: arn }))).Tags ?? {};
  } catch (error) {
    if (awsErrorName(error) === 'AccessDeniedException' || httpStatusOf(error) === 403) {
      throw new BridgeError(
        `cannot tell whether Lambda function ${ctx.names.functionName} is this stack's: reading its tags needs lambda:ListTags, which these credentials lack; allow lambda:ListTags (see templates/deployer-policy.json) and run again`,
      );
    }
    throw error;
  }
}

/** The account's concurrency, or null where Lambda does not answer (the local AWS) or refuses. */
async function readAccountConcurrency(ctx: StackContext): Promise<AccountConcurrency | null> {
  try {
    const limit = (await ctx.aws.lambda.send(new GetAccountSettingsCommand({}))).AccountLimit;
    if (limit?.ConcurrentExecutions === undefined || limit.UnreservedConcurrentExecutions === undefined) return null;
    return { limit: limit.ConcurrentExecutions, unreserved: limit.UnreservedConcurrentExecutions };
  } catch {
    return null;
  }
}

/** The function's environment: settings only. The key is read from SSM at run time. */
export function functionEnvironment(ctx: StackContext): Record<string, string> {
  const url = ctx.config.source.url ?? ctx.refs.sourceUrl ?? KNOWN_AFTER_APPLY;
  const placement = ctx.config.source.keyPlacement ?? ctx.refs.keyPlacement ?? (url === KNOWN_AFTER_APPLY ? undefined : defaultKeyPlacement(url));
  return {
    [ENV.bucket]: ctx.names.bucket,
    [ENV.prefix]: ctx.config.dataPrefix,
    [ENV.apiUrl]: url,
    [ENV.parameterName]: ctx.names.parameterName,
    [ENV.keyPlacement]: placement ? formatKeyPlacement(placement) : KNOWN_AFTER_APPLY,
    [ENV.kmsKeyArn]: ctx.refs.keyArn ?? KNOWN_AFTER_APPLY,
  };
}

export function functionIntended(ctx: StackContext): FunctionIntended {
  return {
    runtime: DEFAULT_RUNTIME,
    role: ctx.names.roleArn,
    handler: LAMBDA_HANDLER,
    timeout: ctx.config.functionTimeoutSeconds,
    memory: ctx.config.functionMemoryMb,
    // The code is plain JavaScript: Graviton costs less for the same work.
    architectures: ['arm64'],
    environment: functionEnvironment(ctx),
    tracing: 'Active',
    codeSha256: ctx.inputs.bundle?.codeSha256 ?? KNOWN_AFTER_APPLY,
    reservedConcurrency: ctx.config.reservedConcurrency,
    tags: stackTags(ctx.config.stack),
  };
}

/** API Gateway's default (and, without a quota increase, largest) integration timeout for REST APIs. */
export const API_INTEGRATION_TIMEOUT_SECONDS = 29;

const WAIT = { maxWaitTime: 300, minDelay: 1, maxDelay: 5 };

/**
 * Reserves concurrency, or removes the reservation. Where the account's quota has no room,
 * Lambda refuses ("... below its minimum value of [N]"): the rest of the stack does not depend on
 * the reservation, so setup goes on and says so once.
 */
async function applyReservation(ctx: StackContext, want: number | null): Promise<void> {
  const FunctionName = ctx.names.functionName;
  if (want === null) {
    await ctx.aws.lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName }));
    return;
  }
  try {
    await ctx.aws.lambda.send(new PutFunctionConcurrencyCommand({ FunctionName, ReservedConcurrentExecutions: want }));
  } catch (error) {
    if (!isBelowUnreservedMinimum(error)) throw error;
    const minimum = /minimum value of \[(\d+)\]/.exec((error as Error).message)?.[1];
    ctx.notes.push(reservationSkippedNote(want, `Lambda refused it, as it would leave the account fewer than ${minimum ?? 'its minimum of'} unreserved executions`));
  }
}

export const ingestFunction: Resource<FunctionLive, FunctionIntended> = {
  kind: 'function',
  title: 'Lambda function',
  dependsOn: ['execution-role', 'function-log-group', 'bucket', 'source-api-key'],
  ownership: {
    of: 'stack',
    retire: (live) => (live ? { action: 'remove' } : { action: 'absent' }),
    async destroy(ctx) {
      await ctx.aws.lambda.send(new DeleteFunctionCommand({ FunctionName: ctx.names.functionName }));
    },
  },
  name: (ctx) => ctx.names.functionName,
  read: (ctx) => readFunction(ctx),
  learn(ctx, live) {
    if (!live) return;
    // What earlier runs configured stays unless this run says otherwise.
    const url = live.environment[ENV.apiUrl];
    if (url) ctx.refs.sourceUrl = url;
    const placement = keyPlacementOf(live.environment[ENV.keyPlacement] ?? '');
    if (placement) ctx.refs.keyPlacement = placement;
  },
  check(ctx, live) {
    if (ctx.config.functionTimeoutSeconds > API_INTEGRATION_TIMEOUT_SECONDS) {
      ctx.notes.push(
        `the function may run ${ctx.config.functionTimeoutSeconds} s, longer than API Gateway's ${API_INTEGRATION_TIMEOUT_SECONDS} s integration timeout: callers of GET /data then get a 504 while the function goes on; keep --function-timeout at ${API_INTEGRATION_TIMEOUT_SECONDS - 4} or less unless the API is not how it runs`,
      );
    }
    const want = ctx.config.reservedConcurrency;
    if (live?.accountConcurrency && want !== null && live.reservedConcurrency !== want && !reservationFits(live, want)) {
      ctx.notes.push(reservationSkippedNote(want, accountWhy(live.accountConcurrency)));
    }
  },
  intended: functionIntended,
  diff: diffFunction,
  async apply(ctx, live, intended, changes) {
    const lambda = ctx.aws.lambda;
    const FunctionName = ctx.names.functionName;
    const fields = new Set(changes.map((c) => c.field));
    const bundle = ctx.inputs.bundle;
    if (!bundle) throw new BridgeError('internal: the function bundle was not built before apply');
    const configuration = {
      FunctionName,
      Runtime: intended.runtime as never,
      Role: intended.role,
      Handler: intended.handler,
      Timeout: intended.timeout,
      MemorySize: intended.memory,
      Environment: { Variables: intended.environment },
      TracingConfig: { Mode: intended.tracing },
      Description: `bridge stack ${ctx.config.stack}: fetches the source API and stores its answer in S3`,
    };
    if (!live) {
      await untilPropagated(ctx, PROPAGATION.roleUsableByLambda, () =>
        lambda.send(
          new CreateFunctionCommand({
            ...configuration,
            Code: { ZipFile: bundle.zip },
            PackageType: 'Zip',
            Architectures: intended.architectures,
            Tags: intended.tags,
          }),
        ),
      );
      await waitUntilFunctionActiveV2({ client: lambda, ...WAIT }, { FunctionName });
    } else {
      // Never stack an update on one in progress.
      if (live.lastUpdateStatus === 'InProgress') await waitUntilFunctionUpdatedV2({ client: lambda, ...WAIT }, { FunctionName });
      if (CONFIG_FIELDS.some((field) => fields.has(field))) {
        await untilPropagated(ctx, PROPAGATION.roleUsableByLambda, () => lambda.send(new UpdateFunctionConfigurationCommand(configuration)));
        await waitUntilFunctionUpdatedV2({ client: lambda, ...WAIT }, { FunctionName });
      }
      if (fields.has('code')) {
        await lambda.send(new UpdateFunctionCodeCommand({ FunctionName, ZipFile: bundle.zip, Architectures: intended.architectures }));
        await waitUntilFunctionUpdatedV2({ client: lambda, ...WAIT }, { FunctionName });
      }
      if (fields.has('tags')) await lambda.send(new TagResourceCommand({ Resource: live.arn, Tags: intended.tags }));
    }
    if (fields.has('reserved-concurrency')) await applyReservation(ctx, intended.reservedConcurrency);
  },
  describe: (ctx) => ({ name: ctx.names.functionName, arn: ctx.names.functionArn, logGroup: ctx.names.functionLogGroup }),
};

