/**
 * How Lambda handles the function's asynchronous runs, which is how Scheduler invokes it: a bounded
 * retry, then the failure (with its reason: the error the function threw) to the dead-letter
 * queue. Without a schedule, no such configuration: API calls are synchronous and answer the caller.
 */
import {
  DeleteFunctionEventInvokeConfigCommand,
  GetFunctionEventInvokeConfigCommand,
  PutFunctionEventInvokeConfigCommand,
} from '@aws-sdk/client-lambda';
import { unlessNotFound } from '../errors.js';
import { PROPAGATION, untilPropagated } from '../retry.js';
import { ASYNC_RETRY, intendedSchedule } from './schedule-state.js';
import { settingChange, type FieldChange, type Resource } from './types.js';

export interface AsyncConfigLive {
  maximumRetryAttempts: number | null;
  maximumEventAgeSeconds: number | null;
  onFailure: string | null;
  onSuccess: string | null;
}

/** Null: the function should have no asynchronous configuration of bridge's. */
export type AsyncConfigIntended = { maximumRetryAttempts: number; maximumEventAgeSeconds: number; onFailure: string } | null;

export function diffAsyncConfig(live: AsyncConfigLive | null, intended: AsyncConfigIntended): FieldChange[] {
  if (!intended) return live ? [{ field: 'remove', before: `failures to ${live.onFailure ?? 'nowhere'}`, after: 'none (no schedule)' }] : [];
  if (!live) return [{ field: 'async-config', after: `failures to ${intended.onFailure} after ${intended.maximumRetryAttempts} retries` }];
  return [
    ...settingChange('on-failure', live.onFailure, intended.onFailure),
    ...settingChange('on-success', live.onSuccess, null),
    ...settingChange('maximum-retry-attempts', live.maximumRetryAttempts, intended.maximumRetryAttempts),
    ...settingChange('maximum-event-age', live.maximumEventAgeSeconds, intended.maximumEventAgeSeconds),
  ];
}

export const functionAsyncConfig: Resource<AsyncConfigLive, AsyncConfigIntended> = {
  kind: 'function-async',
  title: 'Function failure destination',
  // The execution role must already allow sending to the queue: Lambda checks it here.
  dependsOn: ['function', 'schedule-dlq', 'execution-role'],
  ownership: { of: 'part', partOf: 'function' },
  name: (ctx) => ctx.names.functionName,
  async read(ctx, lives) {
    if (!lives.get('function')) return null;
    const found = await unlessNotFound(ctx.aws.lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: ctx.names.functionName })), 'ResourceNotFoundException');
    if (!found) return null;
    return {
      maximumRetryAttempts: found.MaximumRetryAttempts ?? null,
      maximumEventAgeSeconds: found.MaximumEventAgeInSeconds ?? null,
      onFailure: found.DestinationConfig?.OnFailure?.Destination || null,
      onSuccess: found.DestinationConfig?.OnSuccess?.Destination || null,
    };
  },
  intended: (ctx) =>
    intendedSchedule(ctx) !== null
      ? { maximumRetryAttempts: ASYNC_RETRY.maximumRetryAttempts, maximumEventAgeSeconds: ASYNC_RETRY.maximumEventAgeSeconds, onFailure: ctx.names.deadLetterQueueArn }
      : null,
  diff: diffAsyncConfig,
  async apply(ctx, _live, intended) {
    const FunctionName = ctx.names.functionName;
    if (!intended) {
      await unlessNotFound(ctx.aws.lambda.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName })), 'ResourceNotFoundException');
      return;
    }
    // Put replaces the whole configuration (an update would keep a destination someone added).
    await untilPropagated(ctx, PROPAGATION.destinationAllowed, () =>
      ctx.aws.lambda.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName,
          MaximumRetryAttempts: intended.maximumRetryAttempts,
          MaximumEventAgeInSeconds: intended.maximumEventAgeSeconds,
          DestinationConfig: { OnFailure: { Destination: intended.onFailure } },
        }),
      ),
    );
  },
  describe: () => null,
};
