/**
 * Runs the function's handler in this (child) process the way Lambda's Node.js runtime would:
 * a context with the request id and remaining time, START / END / REPORT lines on stdout, and
 * the outcome as JSON on file descriptor 3. Started by `bridge invoke --local`.
 *
 * argv: <handler dir> <handler setting, e.g. index.handler>; the event arrives on stdin.
 */
import { randomUUID } from 'node:crypto';
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export interface RunnerOutcome {
  ok: boolean;
  result?: unknown;
  errorType?: string;
  errorMessage?: string;
}

async function main(): Promise<void> {
  const [handlerDir, handlerSetting = 'index.handler'] = process.argv.slice(2);
  const dot = handlerSetting.lastIndexOf('.');
  const file = `${handlerSetting.slice(0, dot)}.js`;
  const exportName = handlerSetting.slice(dot + 1);
  const requestId = process.env.BRIDGE_REQUEST_ID ?? randomUUID();
  const timeoutMs = Number(process.env.AWS_LAMBDA_FUNCTION_TIMEOUT ?? '3') * 1000;
  const memory = process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128';
  const event = JSON.parse((await readStdin()) || '{}') as unknown;

  const initStart = performance.now();
  const module = (await import(pathToFileURL(join(handlerDir as string, file)).href)) as Record<string, unknown>;
  const initMs = performance.now() - initStart;
  const handler = module[exportName];
  process.stdout.write(`START RequestId: ${requestId} Version: $LATEST\n`);
  const deadline = Date.now() + timeoutMs;
  const context = {
    awsRequestId: requestId,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: '$LATEST',
    memoryLimitInMB: memory,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let outcome: RunnerOutcome;
  const started = performance.now();
  try {
    if (typeof handler !== 'function') throw Object.assign(new Error(`${file} does not export ${exportName}`), { name: 'Runtime.HandlerNotFound' });
    outcome = { ok: true, result: await (handler as (e: unknown, c: unknown) => Promise<unknown>)(event, context) };
  } catch (error) {
    const e = error as Error;
    outcome = { ok: false, errorType: e.name || 'Error', errorMessage: e.message };
    process.stdout.write(`${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify({ errorType: outcome.errorType, errorMessage: outcome.errorMessage })}\n`);
  }
  const duration = performance.now() - started;
  const maxMemoryMb = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`END RequestId: ${requestId}\n`);
  process.stdout.write(
    `REPORT RequestId: ${requestId}\tDuration: ${duration.toFixed(2)} ms\tBilled Duration: ${Math.ceil(duration)} ms\tMemory Size: ${memory} MB\tMax Memory Used: ${maxMemoryMb} MB\tInit Duration: ${initMs.toFixed(2)} ms\t\n`,
  );
  writeSync(3, JSON.stringify(outcome));
}

await main();
