/**
 * `bridge invoke --local`: the deployed function's configuration, this machine's handler code,
 * in a child process with the caller's credentials against the same endpoint (as `sam local
 * invoke` does, with no Docker). Its log lines go to the function's log group too, as Lambda's would.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionConfigurationCommand, type FunctionConfiguration } from '@aws-sdk/client-lambda';
import { HANDLER_DIR } from '../bundle.js';
import { BridgeError, UsageError, isNotFound } from '../errors.js';
import { packagePath } from '../paths.js';
import type { StackContext } from '../resources/types.js';
import type { Invocation } from './invocation.js';
import { lastBytes } from './report.js';
import type { RunnerOutcome } from './runner.js';

export const RUNNER = packagePath('dist', 'src', 'invoke', 'runner.js');

export async function deployedConfiguration(ctx: StackContext): Promise<FunctionConfiguration> {
  try {
    return await ctx.aws.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: ctx.names.functionName }));
  } catch (error) {
    if (isNotFound(error, 'ResourceNotFoundException')) {
      throw new UsageError(`function ${ctx.names.functionName} does not exist in ${ctx.config.region}: run bridge setup first`);
    }
    throw error;
  }
}

/** The environment of the child: the function's own, credentials, and what Lambda itself sets. */
async function childEnvironment(ctx: StackContext, configuration: FunctionConfiguration): Promise<Record<string, string>> {
  const credentials = await ctx.aws.lambda.config.credentials();
  const env: Record<string, string> = {
    ...(configuration.Environment?.Variables ?? {}),
    AWS_REGION: ctx.config.region,
    AWS_DEFAULT_REGION: ctx.config.region,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_LAMBDA_FUNCTION_NAME: ctx.names.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(configuration.MemorySize ?? 128),
    AWS_LAMBDA_FUNCTION_TIMEOUT: String(configuration.Timeout ?? 3),
    AWS_LAMBDA_LOG_GROUP_NAME: ctx.names.functionLogGroup,
    _HANDLER: configuration.Handler ?? 'index.handler',
    TZ: 'UTC',
    // The child runs on this machine's Node.js; the SDK's notice about it is not the function's log.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  if (credentials.sessionToken) env.AWS_SESSION_TOKEN = credentials.sessionToken;
  if (ctx.config.endpoint) env.AWS_ENDPOINT_URL = ctx.config.endpoint;
  return env;
}

interface ChildResult {
  outcome: RunnerOutcome;
  log: string;
}

function runChild(env: Record<string, string>, handler: string, event: string, timeoutSeconds: number, requestId: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, HANDLER_DIR, handler], {
      env: { ...env, BRIDGE_REQUEST_ID: requestId },
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    let log = '';
    let result = '';
    child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => (result += chunk.toString()));
    let timedOut = false;
    // Lambda stops a function at its timeout; so does this.
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000 + 500);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (timedOut) {
        const message = `Task timed out after ${timeoutSeconds.toFixed(2)} seconds`;
        log += `${new Date().toISOString()} ${requestId} ${message}\nEND RequestId: ${requestId}\n`;
        resolve({ outcome: { ok: false, errorType: 'Sandbox.Timedout', errorMessage: message }, log });
        return;
      }
      try {
        resolve({ outcome: JSON.parse(result) as RunnerOutcome, log });
      } catch {
        resolve({ outcome: { ok: false, errorType: 'Runtime.ExitError', errorMessage: `the function's process exited with code ${code} before answering` }, log });
      }
    });
    child.stdin?.end(event);
  });
}

/** The local run's log, in the function's log group, so --follow and later reads see it as Lambda's. */
async function shipLogs(ctx: StackContext, log: string, startedAt: number): Promise<void> {
  const lines = log.split('\n').filter((line) => line.length > 0);
  if (lines.length === 0) return;
  const day = new Date(startedAt).toISOString().slice(0, 10).replace(/-/g, '/');
  const logStreamName = `${day}/[$LATEST-local]${randomBytes(8).toString('hex')}`;
  await ctx.aws.logs.send(new CreateLogStreamCommand({ logGroupName: ctx.names.functionLogGroup, logStreamName }));
  await ctx.aws.logs.send(
    new PutLogEventsCommand({
      logGroupName: ctx.names.functionLogGroup,
      logStreamName,
      logEvents: lines.map((message, i) => ({ timestamp: startedAt + i, message })),
    }),
  );
}

export async function invokeLocally(ctx: StackContext, event: string, warn: (message: string) => void): Promise<Invocation> {
  const configuration = await deployedConfiguration(ctx);
  if (!ctx.config.endpoint) {
    // The execution role trusts only Lambda, so nobody else can take its credentials: the local run
    // is the caller's, with the caller's rights, which may be more or fewer than the role's.
    warn(
      `this local run uses your credentials, not the execution role ${ctx.names.roleName}, so it proves nothing about the role's access; run bridge invoke without --local to run the function as deployed`,
    );
  }
  const env = await childEnvironment(ctx, configuration);
  const requestId = randomUUID();
  const startedAt = Date.now();
  const { outcome, log } = await runChild(env, configuration.Handler ?? 'index.handler', event, configuration.Timeout ?? 3, requestId);
  try {
    await shipLogs(ctx, log, startedAt);
  } catch (error) {
    warn(`the local run's log was not written to ${ctx.names.functionLogGroup}: ${(error as Error).message}`);
  }
  if (!outcome.ok && outcome.errorType === 'Runtime.ExitError' && !log) throw new BridgeError(outcome.errorMessage ?? 'the local run failed');
  const invocation: Invocation = {
    statusCode: 200,
    payload: outcome.ok ? (outcome.result ?? null) : { errorType: outcome.errorType, errorMessage: outcome.errorMessage },
    logTail: lastBytes(log),
    where: 'local',
    requestId,
  };
  if (!outcome.ok) invocation.functionError = 'Unhandled';
  return invocation;
}
