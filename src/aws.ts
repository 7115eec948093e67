/**
 * One place that makes AWS clients: region, profile, endpoint, retries. Clients are created on
 * first use. Credentials always come from the SDK's default chain (env, shared config/SSO,
 * instance roles), never from the command line.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import type { AccessAnalyzerClient } from '@aws-sdk/client-accessanalyzer';
import { BridgeError } from './errors.js';
import { KNOWN_AFTER_APPLY, placeholderIn } from './names.js';
import { CliRetryStrategy } from './retry.js';

export interface AwsSettings {
  region: string;
  profile?: string;
  endpoint?: string;
  /** Total attempts per call; throttling and 5xx are retried with adaptive backoff. */
  maxAttempts?: number;
  /** Multiplies the SDK's backoff between attempts (1, the SDK's own pace; tests give 0 to not wait). */
  backoffScale?: number;
}

/** One AWS API call as sent, so tests (and --verbose) can see what a run really did. */
export interface CallRecord {
  service: string;
  command: string;
  /** Set for calls that are bookkeeping, not the stack: the stack lock's reads and writes. */
  purpose?: 'stack lock';
}

export interface CallAnswer {
  status?: number;
  ms: number;
  requestId?: string;
  error?: string;
}

/**
 * Read-only calls by their name: everything else changes something (--verbose's call log is read
 * with it). IAM's simulator and Access Analyzer's policy checks only judge documents sent to them.
 */
export function isMutatingCommand(command: string): boolean {
  return !/^(Get|List|Describe|Head|Simulate|Check|Filter|StartLiveTail$|ValidatePolicy$)/.test(command);
}

type AnyClient =
  | IAMClient
  | KMSClient
  | S3Client
  | SSMClient
  | STSClient
  | LambdaClient
  | CloudWatchLogsClient
  | APIGatewayClient
  | ResourceGroupsTaggingAPIClient
  | SchedulerClient
  | SQSClient
  | CloudWatchClient
  | AccessAnalyzerClient;

// Throttling bursts deserve more patience than the SDK's default of 3 attempts.
const DEFAULT_MAX_ATTEMPTS = 8;
/** For lookups with a fallback and second opinions: the SDK's own default. */
const SHORT_ATTEMPTS = 3;

/** Attempts per call: --max-attempts style setting, else AWS_MAX_ATTEMPTS (as every SDK reads it), else 8. */
export function maxAttempts(settings: Pick<AwsSettings, 'maxAttempts'>, env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = Number(env.AWS_MAX_ATTEMPTS);
  return settings.maxAttempts ?? (Number.isInteger(fromEnv) && fromEnv >= 1 ? fromEnv : DEFAULT_MAX_ATTEMPTS);
}

export class AwsClients {
  readonly calls: CallRecord[] = [];
  /** Told of each call as it is sent (--verbose streams the call log with it). */
  onCall?: (call: CallRecord) => void;
  /** Told of each call's answer: HTTP status, time taken, AWS's request id (for a support case), or the error's name. */
  onAnswer?: (call: CallRecord, answer: CallAnswer) => void;
  /** AWS's clock minus this machine's, from the last answer's Date header (the stack lock's staleness is AWS time). */
  serverClockOffsetMs = 0;
  readonly #clients = new Map<string, AnyClient>();

  constructor(readonly settings: AwsSettings) {}

  get sts(): STSClient {
    return this.#client('sts', (config) => new STSClient(config));
  }
  get iam(): IAMClient {
    return this.#client('iam', (config) => new IAMClient(config));
  }
  get kms(): KMSClient {
    return this.#client('kms', (config) => new KMSClient(config));
  }
  get s3(): S3Client {
    // A custom endpoint (the local AWS) has no per-bucket host names.
    return this.#client('s3', (config) => new S3Client({ ...config, forcePathStyle: this.settings.endpoint !== undefined }));
  }
  get ssm(): SSMClient {
    return this.#client('ssm', (config) => new SSMClient(config));
  }
  /** SSM for the stack lock (src/lock.ts): its calls are marked as such in the call log. */
  get ssmLock(): SSMClient {
    return this.#client('ssm-lock', (config) => new SSMClient(config));
  }
  get lambda(): LambdaClient {
    return this.#client('lambda', (config) => new LambdaClient(config));
  }
  get apigateway(): APIGatewayClient {
    return this.#client('apigateway', (config) => new APIGatewayClient(config));
  }
  get logs(): CloudWatchLogsClient {
    return this.#client('logs', (config) => new CloudWatchLogsClient(config));
  }
  get scheduler(): SchedulerClient {
    return this.#client('scheduler', (config) => new SchedulerClient(config));
  }
  get sqs(): SQSClient {
    return this.#client('sqs', (config) => new SQSClient(config));
  }
  /** CloudWatch metrics: the age of the oldest message in the dead-letter queue (SQS has no attribute for it). */
  get cloudwatch(): CloudWatchClient {
    return this.#client('cloudwatch', (config) => new CloudWatchClient(config));
  }
  get tagging(): ResourceGroupsTaggingAPIClient {
    // Only ever a lookup with a fallback (tag-search.ts): the SDK's usual three attempts.
    return this.#client('tagging', (config) => new ResourceGroupsTaggingAPIClient(config), SHORT_ATTEMPTS);
  }

  /** IAM for audit --aws-checks' policy simulator: a second opinion gets the SDK's usual three attempts. */
  get iamSecondOpinion(): IAMClient {
    return this.#client('iam-second-opinion', (config) => new IAMClient(config), SHORT_ATTEMPTS);
  }
  /** Only audit --aws-checks asks Access Analyzer: loaded when asked, not at start-up. */
  async accessAnalyzer(): Promise<AccessAnalyzerClient> {
    const { AccessAnalyzerClient } = await import('@aws-sdk/client-accessanalyzer');
    return this.#client('accessanalyzer', (config) => new AccessAnalyzerClient(config), SHORT_ATTEMPTS);
  }

  destroy(): void {
    for (const client of this.#clients.values()) client.destroy();
    this.#clients.clear();
  }

  #client<T extends AnyClient>(service: string, make: (config: ClientConfig) => T, attempts?: number): T {
    let client = this.#clients.get(service) as T | undefined;
    if (!client) {
      client = make(this.#baseConfig(attempts));
      const name = service.replace(/-second-opinion$|-lock$/, '');
      const purpose = service.endsWith('-lock') ? { purpose: 'stack lock' as const } : {};
      (client.middlewareStack as unknown as RecordableStack).add(
        (next, context) => async (args) => {
          const command = String(context.commandName ?? 'unknown').replace(/Command$/, '');
          // A value that only an earlier create would have made is never sent (a plan's placeholder).
          const placeholder = placeholderIn((args as { input?: unknown }).input);
          if (placeholder) {
            throw new BridgeError(`internal error: ${command} would have sent "${KNOWN_AFTER_APPLY}" in ${placeholder}, a value an earlier step should have made; nothing was sent. Run the command again, and report it if it repeats`);
          }
          const call = { service: name, command, ...purpose };
          this.calls.push(call);
          this.onCall?.(call);
          const started = Date.now();
          try {
            const result = await next(args);
            const answer = result as { response?: { statusCode?: number; headers?: Record<string, string> }; output?: { $metadata?: { requestId?: string } } };
            const date = answer?.response?.headers?.date;
            if (date && !Number.isNaN(Date.parse(date))) this.serverClockOffsetMs = Date.parse(date) - Date.now();
            const requestId = answer?.output?.$metadata?.requestId;
            this.onAnswer?.(call, { ms: Date.now() - started, ...(answer?.response?.statusCode ? { status: answer.response.statusCode } : {}), ...(requestId ? { requestId } : {}) });
            return result;
          } catch (error) {
            // So a failure can name the call that failed, not only AWS's words.
            if (error && typeof error === 'object') Object.assign(error, { $bridgeCall: command, $bridgeService: name });
            const meta = (error as { name?: string; $metadata?: { httpStatusCode?: number; requestId?: string } } | null) ?? {};
            this.onAnswer?.(call, {
              ms: Date.now() - started,
              error: meta.name ?? 'Error',
              ...(meta.$metadata?.httpStatusCode ? { status: meta.$metadata.httpStatusCode } : {}),
              ...(meta.$metadata?.requestId ? { requestId: meta.$metadata.requestId } : {}),
            });
            throw error;
          }
        },
        { step: 'initialize', name: 'bridgeCallRecorder' },
      );
      this.#clients.set(service, client);
    }
    return client;
  }

  #baseConfig(attempts?: number): ClientConfig {
    const config: ClientConfig = { region: this.settings.region };
    if (this.settings.profile) config.profile = this.settings.profile;
    if (this.settings.endpoint) config.endpoint = this.settings.endpoint;
    config.retryStrategy = new CliRetryStrategy(Math.min(attempts ?? Infinity, maxAttempts(this.settings)), this.settings.backoffScale);
    return config;
  }
}

/** The part of the SDK's middleware stack bridge uses, without reaching into @smithy's types. */
interface RecordableStack {
  add(
    middleware: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>,
    options: { step: 'initialize'; name: string },
  ): void;
}

interface ClientConfig {
  region: string;
  profile?: string;
  endpoint?: string;
  retryStrategy?: CliRetryStrategy;
}
