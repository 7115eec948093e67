/** `bridge invoke`: the deployed function, run by Lambda, with its log tail (LogType Tail). */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { UsageError, isNotFound } from '../errors.js';
import type { StackContext } from '../resources/types.js';
import type { Invocation } from './invocation.js';
import { decodeLogResult, parseReport } from './report.js';

/** The local AWS answers Invoke with its own failure to start Docker, as a 200. */
export function looksLikeEmulatorWithoutDocker(payload: string): boolean {
  return /docker/i.test(payload) && !payload.trim().startsWith('{');
}

export async function invokeRemotely(ctx: StackContext, event: string, withTail: boolean): Promise<Invocation> {
  let response;
  try {
    response = await ctx.aws.lambda.send(
      new InvokeCommand({ FunctionName: ctx.names.functionName, Payload: Buffer.from(event), LogType: withTail ? 'Tail' : 'None' }),
    );
  } catch (error) {
    if (isNotFound(error, 'ResourceNotFoundException')) {
      throw new UsageError(`function ${ctx.names.functionName} does not exist in ${ctx.config.region}: run bridge setup first`);
    }
    throw error;
  }
  const text = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
  if (ctx.config.endpoint && looksLikeEmulatorWithoutDocker(text)) {
    throw new UsageError(`the endpoint ${ctx.config.endpoint} cannot run Lambda code (the local AWS has no Docker): use bridge invoke --local`);
  }
  let payload: unknown = text;
  try {
    payload = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: keep the text.
  }
  const logTail = decodeLogResult(response.LogResult);
  const invocation: Invocation = {
    statusCode: response.StatusCode ?? 0,
    payload,
    logTail,
    where: 'lambda',
    requestId: parseReport(logTail)?.requestId ?? response.$metadata.requestId ?? '',
  };
  if (response.FunctionError) invocation.functionError = response.FunctionError;
  return invocation;
}
