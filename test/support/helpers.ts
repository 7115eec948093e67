/** Drives bridge the way a user does (the CLI, in-process) and reads AWS back with plain SDK clients. */
import { PassThrough, Readable } from 'node:stream';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { isMutatingCommand } from '../../src/aws.js';
import { main } from '../../src/cli.js';
import { resetLocalAws } from '../../src/local/moto.js';
import type { Io } from '../../src/output.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  stdin?: string;
}

/** Runs `bridge ARGS` in this process with captured output. */
export async function runCli(args: string[], options: RunOptions = {}): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const io: Io = {
    stdout,
    stderr,
    stdin: Readable.from(options.stdin !== undefined ? [options.stdin] : []),
    env: { ...process.env, ...options.env },
  };
  const code = await main(['node', 'bridge', ...args], io);
  return { code, stdout: out, stderr: err };
}

/** Plain SDK clients against the local AWS, for reading back and injecting drift. */
export function localClients() {
  const config = { region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL as string, maxAttempts: 1 };
  return {
    iam: new IAMClient(config),
    kms: new KMSClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
    ssm: new SSMClient(config),
    sts: new STSClient(config),
    lambda: new LambdaClient(config),
    apigateway: new APIGatewayClient(config),
    logs: new CloudWatchLogsClient(config),
  };
}

export const LOCAL_ACCOUNT = '123456789012';

export function setupArgs(stack: string, extra: string[] = []): string[] {
  return ['setup', '--stack', stack, '--source-url', 'https://api.openweathermap.org/data/2.5/weather?q=London', '--source-key-env', 'TEST_SOURCE_KEY', ...extra];
}

export const TEST_SOURCE_KEY = 'owm-test-key-4f1c9a7e2b';

export async function resetLocal(): Promise<void> {
  await resetLocalAws(process.env.AWS_ENDPOINT_URL as string);
}

/** The mutating AWS calls a run made, from --verbose's call log ("aws s3 PutBucketPolicy"). */
export function mutatingCalls(run: CliRun): string[] {
  return [...run.stderr.matchAll(/^aws (\w+) (\w+)$/gm)].filter((m) => isMutatingCommand(m[2] as string)).map((m) => `${m[1]}:${m[2]}`);
}
