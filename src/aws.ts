/**
 * One place that makes AWS clients: region, profile, endpoint, retries. Clients are created on
 * first use. Credentials always come from the SDK's default chain (env, shared config/SSO,
 * instance roles), never from the command line.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import type { AccessAnalyzerClient } from '@aws-sdk/client-accessanalyzer';

export interface AwsSettings {
  region: string;
  profile?: string;
  endpoint?: string;
  /** Total attempts per call; throttling and 5xx are retried with adaptive backoff. */
  maxAttempts?: number;
}

/** One AWS API call as sent, so tests (and --verbose) can see what a run really did. */
export interface CallRecord {
  service: string;
  command: string;
}

/**
 * Read-only calls by their name: everything else changes something (--verbose's call log is read
 * with it). IAM's simulator and Access Analyzer's policy checks only judge documents sent to them.
 */
export function isMutatingCommand(command: string): boolean {
  return !/^(Get|List|Describe|Head|Simulate|Check|ValidatePolicy$)/.test(command);
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
  | AccessAnalyzerClient;

// Throttling bursts deserve more patience than the SDK's default of 3 attempts.
const DEFAULT_MAX_ATTEMPTS = 8;

export class AwsClients {
  readonly calls: CallRecord[] = [];
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
  get lambda(): LambdaClient {
    return this.#client('lambda', (config) => new LambdaClient(config));
  }
  get apigateway(): APIGatewayClient {
    return this.#client('apigateway', (config) => new APIGatewayClient(config));
  }
  get logs(): CloudWatchLogsClient {
    return this.#client('logs', (config) => new CloudWatchLogsClient(config));
  }
  get tagging(): ResourceGroupsTaggingAPIClient {
    // Only ever a lookup with a fallback (tag-search.ts): not worth waiting out eight attempts.
    return this.#client('tagging', (config) => new ResourceGroupsTaggingAPIClient({ ...config, maxAttempts: Math.min(config.maxAttempts ?? 2, 2) }));
  }

  /** IAM for audit --aws-checks' policy simulator: a second opinion gets the SDK's usual three attempts. */
  get iamSecondOpinion(): IAMClient {
    return this.#client('iam-second-opinion', (config) => new IAMClient({ ...config, maxAttempts: Math.min(config.maxAttempts ?? 3, 3) }));
  }
  /** Only audit --aws-checks asks Access Analyzer: loaded when asked, not at start-up. */
  async accessAnalyzer(): Promise<AccessAnalyzerClient> {
    const { AccessAnalyzerClient } = await import('@aws-sdk/client-accessanalyzer');
    return this.#client('accessanalyzer', (config) => new AccessAnalyzerClient({ ...config, maxAttempts: Math.min(config.maxAttempts ?? 3, 3) }));
  }

  destroy(): void {
    for (const client of this.#clients.values()) client.destroy();
    this.#clients.clear();
  }

  #client<T extends AnyClient>(service: string, make: (config: ClientConfig) => T): T {
    let client = this.#clients.get(service) as T | undefined;
    if (!client) {
      client = make(this.#baseConfig());
      (client.middlewareStack as unknown as RecordableStack).add(
        (next, context) => (args) => {
          this.calls.push({ service: service.replace(/-second-opinion$/, ''), command: String(context.commandName ?? 'unknown').replace(/Command$/, '') });
          return next(args);
        },
        { step: 'initialize', name: 'bridgeCallRecorder' },
      );
      this.#clients.set(service, client);
    }
    return client;
  }

  #baseConfig(): ClientConfig {
    const config: ClientConfig = { region: this.settings.region };
    if (this.settings.profile) config.profile = this.settings.profile;
    if (this.settings.endpoint) config.endpoint = this.settings.endpoint;
    const attempts = this.settings.maxAttempts ?? (process.env.AWS_MAX_ATTEMPTS ? undefined : DEFAULT_MAX_ATTEMPTS);
    if (attempts !== undefined) {
      config.maxAttempts = attempts;
      config.retryMode = process.env.AWS_RETRY_MODE ?? 'adaptive';
    }
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
  maxAttempts?: number;
  retryMode?: string;
}
