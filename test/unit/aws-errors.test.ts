/**
 * Cases the local AWS cannot produce, against a scripted HTTP endpoint on loopback: a throttling
 * burst (moto never throttles) and S3's 403 for a bucket of another account (moto answers 200).
 * The real SDK clients and bridge's own code run unchanged; only the server is scripted.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ListKeysCommand, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { AwsClients } from '../../src/aws.js';
import { iamActionFor } from '../../src/iam-actions.js';
import { DEFAULTS, resolveConfig } from '../../src/config.js';
import { BridgeError, UsageError, awsFailureText } from '../../src/errors.js';
import { retryTiming } from '../../src/retry.js';
import { KNOWN_AFTER_APPLY, placeholderIn, stackNames } from '../../src/names.js';
import { readBucket } from '../../src/resources/bucket.js';
import { functionIntended, ingestFunction } from '../../src/resources/function.js';
import { isRoleNotYetUsableByLambda as isRoleNotYetUsable } from '../../src/retry.js';
import { fakeClock } from '../support/fake-clock.js';
import type { StackContext } from '../../src/resources/types.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let server: Server | undefined;

async function scripted(handler: Handler): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

afterEach(async () => {
  const running = server;
  if (!running) return;
  running.closeAllConnections();
  await new Promise((resolve) => running.close(resolve));
  server = undefined;
});

const credentials = { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' };
Object.assign(process.env, credentials);

describe('AWS errors the local AWS cannot produce', () => {
  it('retries a throttling burst with the adaptive retry bridge configures', async () => {
    let requests = 0;
    const endpoint = await scripted((_req, res) => {
      requests++;
      if (requests <= 3) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ Keys: [{ KeyId: 'k1' }], Truncated: false }));
    });
    // The backoff's pace is the SDK's; here it is not waited out (backoffScale 0).
    const aws = new AwsClients({ region: 'us-east-1', endpoint, backoffScale: 0 });
    const result = await aws.kms.send(new ListKeysCommand({}));
    expect(result.Keys).toEqual([{ KeyId: 'k1' }]);
    expect(requests).toBe(4);
    // The SDK's default (3 attempts) would have given up on this burst.
    const impatient = new AwsClients({ region: 'us-east-1', endpoint, maxAttempts: 3, backoffScale: 0 });
    requests = 0;
    await expect(impatient.kms.send(new ListKeysCommand({}))).rejects.toThrow(/Rate exceeded/);
    aws.destroy();
    impatient.destroy();
  }, 30_000);

  it('keeps retrying past the SDK retry quota through an outage of parallel calls, and names the call that finally failed', async () => {
    // Twelve calls in flight while the service answers its first 48 requests with 500. The SDK's
    // own quota (500 tokens, 14 a retry, refunded only on success) refuses every retry after about
    // 35 and all twelve fail (measured with a plain KMSClient of 8 attempts); bridge's carries them.
    retryTiming.scale = 0.01;
    let requests = 0;
    let down = false;
    const endpoint = await scripted((_req, res) => {
      requests++;
      if (down || requests <= 48) {
        res.writeHead(down ? 503 : 500, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(down ? { __type: 'ServiceUnavailableException', message: 'Service is unavailable.' } : { __type: 'KMSInternalException', message: 'internal' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ Keys: [], Truncated: false }));
    });
    const aws = new AwsClients({ region: 'us-east-1', endpoint, maxAttempts: 10 });
    try {
      const results = await Promise.allSettled(Array.from({ length: 12 }, () => aws.kms.send(new ListKeysCommand({}))));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(requests).toBe(60);
      // Past its attempts, the error names the call, AWS's code, and how often it was tried.
      down = true;
      const failing = new AwsClients({ region: 'us-east-1', endpoint, maxAttempts: 4 });
      const error = await failing.kms.send(new ListKeysCommand({})).catch((e: unknown) => e);
      expect(awsFailureText(error)).toBe('ListKeys answered ServiceUnavailableException: Service is unavailable (gave up after 4 attempts)');
      failing.destroy();
    } finally {
      retryTiming.scale = 1;
      aws.destroy();
    }
  }, 30_000);

  it("names a bucket of another account as such and suggests --bucket (S3 answers 403)", async () => {
    const endpoint = await scripted((_req, res) => {
      res.writeHead(403);
      res.end();
    });
    const config = resolveConfig({ endpointUrl: endpoint, stack: DEFAULTS.stack });
    const ctx = {
      config,
      names: stackNames(config.stack, '123456789012', config.region),
      aws: new AwsClients({ region: config.region, endpoint, maxAttempts: 1 }),
      refs: {},
      inputs: {},
      progress: () => {},
      clock: fakeClock(),
      notes: [],
    } as StackContext;
    const error = await readBucket(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      "bucket name 'databridge-123456789012-us-east-1' belongs to another AWS account or is not readable by you: choose another name with --bucket",
    );
  });
});

describe('IAM propagation when creating the function', () => {
  it("retries CreateFunction while Lambda cannot assume the new role, and says so in the progress line", async () => {
    let creates = 0;
    const endpoint = await scripted((req, res) => {
      if (req.method === 'POST' && req.url?.startsWith('/2015-03-31/functions')) {
        creates++;
        if (creates <= 2) {
          res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'InvalidParameterValueException' });
          res.end(JSON.stringify({ message: 'The role defined for the function cannot be assumed by Lambda.' }));
          return;
        }
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ FunctionName: 'databridge-ingest', State: 'Pending' }));
        return;
      }
      if (req.method === 'PUT' && req.url?.includes('/concurrency')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ReservedConcurrentExecutions: 2 }));
        return;
      }
      // The waiter for State Active.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ Configuration: { FunctionName: 'databridge-ingest', State: 'Active', LastUpdateStatus: 'Successful' } }));
    });
    const config = resolveConfig({ endpointUrl: endpoint, sourceUrl: 'https://api.example.com/x' });
    const progress: string[] = [];
    const clock = fakeClock();
    const ctx = {
      config,
      names: stackNames(config.stack, '123456789012', config.region),
      aws: new AwsClients({ region: config.region, endpoint, maxAttempts: 1 }),
      refs: { keyArn: 'arn:aws:kms:us-east-1:123456789012:key/k' },
      inputs: { bundle: { zip: Buffer.from('zip'), codeSha256: 'x' } },
      progress: (message: string) => progress.push(message),
      clock,
    } as unknown as StackContext;
    const intended = functionIntended(ctx);
    await ingestFunction.apply(ctx, null, intended, ingestFunction.diff(null, intended));
    expect(creates).toBe(3);
    expect(progress).toEqual([
      'waiting for IAM to let Lambda assume the new role (attempt 1, up to 2 minutes)',
      'waiting for IAM to let Lambda assume the new role (attempt 2, up to 2 minutes)',
    ]);
    // Waited on the context's clock (1 s, then 2 s, as PROPAGATION says), not in real time.
    expect(clock.slept).toEqual([1_000, 2_000]);
  }, 20_000);

  it('retries on exactly the messages Terraform retries, and ResourceConflictException', () => {
    const error = (name: string, message: string) => Object.assign(new Error(message), { name });
    expect(isRoleNotYetUsable(error('InvalidParameterValueException', 'The role defined for the function cannot be assumed by Lambda.'))).toBe(true);
    expect(isRoleNotYetUsable(error('InvalidParameterValueException', 'The provided execution role does not have permissions to call CreateNetworkInterface on EC2'))).toBe(true);
    expect(isRoleNotYetUsable(error('ResourceConflictException', 'The operation cannot be performed at this time.'))).toBe(true);
    expect(isRoleNotYetUsable(error('InvalidParameterValueException', 'Unzipped size must be smaller than 262144000 bytes'))).toBe(false);
  });
});

describe("a plan's placeholder", () => {
  it('is never sent: the request is refused before it leaves, naming the call and the field', async () => {
    let requests = 0;
    const endpoint = await scripted((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end('{}');
    });
    const aws = new AwsClients({ region: 'us-east-1', endpoint, maxAttempts: 1 });
    const policy = JSON.stringify({ Statement: [{ Resource: `arn:aws:logs:us-east-1:123456789012:log-group:${KNOWN_AFTER_APPLY}` }] });
    const refused = await aws.kms.send(new PutKeyPolicyCommand({ KeyId: 'k', PolicyName: 'default', Policy: policy })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BridgeError);
    expect((refused as Error).message).toMatch(/^internal error: PutKeyPolicy would have sent "\(known after apply\)" in Policy, .* nothing was sent/);
    expect(requests).toBe(0);
    // An ordinary request goes through the same client.
    await aws.kms.send(new ListKeysCommand({}));
    expect(requests).toBe(1);
    aws.destroy();
  });

  it('is found wherever it sits in the input, never in bytes', () => {
    expect(placeholderIn({ A: 'x', B: [{ C: 'y' }, { D: `arn:${KNOWN_AFTER_APPLY}` }] })).toBe('B[1].D');
    expect(placeholderIn({ ZipFile: Buffer.from(KNOWN_AFTER_APPLY), Name: 'n' })).toBeNull();
    expect(placeholderIn({ Name: 'n', Tags: { a: 'b' } })).toBeNull();
  });
});

describe('a failed call, in words a person can act on', () => {
  // AWS's own denial texts (IAM user guide, "Troubleshoot access denied error messages"): the
  // message names the action and why; moto's denials name neither, so the server is scripted.
  const failure = async (handler: Handler, send: (aws: AwsClients) => Promise<unknown>) => {
    const endpoint = await scripted(handler);
    const aws = new AwsClients({ region: 'us-east-1', endpoint, maxAttempts: 1 });
    const error = await send(aws).catch((e: unknown) => e);
    aws.destroy();
    return awsFailureText(error);
  };

  it("names the permission a denial lacks, and AWS's reason for it", async () => {
    const scp = await failure(
      (_req, res) => {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'AccessDeniedException', message: 'User: arn:aws:sts::111122223333:assumed-role/auditor/s is not authorized to perform: kms:ListKeys on resource: * with an explicit deny in a service control policy' }));
      },
      (aws) => aws.kms.send(new ListKeysCommand({})),
    );
    expect(scp).toBe('access denied: ListKeys needs kms:ListKeys, and AWS says with an explicit deny in a service control policy (AccessDeniedException); allow it for these credentials (templates/deployer-policy.json lists what bridge needs)');

    // S3 answers a HEAD with no body at all: the action comes from bridge's table (HeadObject is s3:GetObject).
    const head = await failure(
      (_req, res) => {
        res.writeHead(403);
        res.end();
      },
      (aws) => aws.s3.send(new HeadObjectCommand({ Bucket: 'b', Key: 'k' })),
    );
    expect(head).toMatch(/^access denied: HeadObject needs s3:GetObject \(\w+\); allow it/);
  });

  it("says an answer was not AWS's (an HTML page from a proxy), never the SDK's parser's words", async () => {
    const html = await failure(
      (_req, res) => {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      },
      (aws) => aws.kms.send(new ListKeysCommand({})),
    );
    expect(html).toBe("ListKeys got an answer that is not AWS's (HTTP 502): a proxy or a wrong endpoint in between answered");
    // A 403 in a shape the SDK cannot read (the local AWS's XML on a JSON service) is still a denial.
    const xml403 = await failure(
      (_req, res) => {
        res.writeHead(403, { 'content-type': 'application/xml' });
        res.end('<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>');
      },
      (aws) => aws.kms.send(new ListKeysCommand({})),
    );
    expect(xml403).toBe('access denied: ListKeys needs kms:ListKeys (HTTP 403); allow it for these credentials (templates/deployer-policy.json lists what bridge needs)');
    for (const text of [html, xml403]) expect(text).not.toMatch(/SyntaxError|Unexpected token|hidden field|Deserialization/);
  });

  it('maps calls to the actions AWS authorizes them by', () => {
    expect(iamActionFor('s3', 'ListObjectsV2')).toBe('s3:ListBucket');
    expect(iamActionFor('s3', 'GetBucketEncryption')).toBe('s3:GetEncryptionConfiguration');
    expect(iamActionFor('s3', 'GetBucketVersioning')).toBe('s3:GetBucketVersioning');
    expect(iamActionFor('apigateway', 'GetStage')).toBe('apigateway:GET');
    expect(iamActionFor('apigateway', 'DeleteRestApi')).toBe('apigateway:DELETE');
    expect(iamActionFor('tagging', 'GetResources')).toBe('tag:GetResources');
    expect(iamActionFor('iam', 'GetRolePolicy')).toBe('iam:GetRolePolicy');
  });
});

describe("AWS's reasons for a denial", () => {
  const denied = (message: string) => awsFailureText(Object.assign(new Error(message), { name: 'AccessDenied', $bridgeCall: 'GetObject', $bridgeService: 's3', $metadata: { httpStatusCode: 403 } }));
  it.each([
    ['because no identity-based policy allows the s3:GetObject action', 'because no identity-based policy allows the s3:GetObject action'],
    ['because no service control policy allows the s3:GetObject action', 'because no service control policy allows the s3:GetObject action'],
    ['because no VPC endpoint policy allows the s3:GetObject action', 'because no VPC endpoint policy allows the s3:GetObject action'],
    ['because no permissions boundary allows the s3:GetObject action', 'because no permissions boundary allows the s3:GetObject action'],
    ['with an explicit deny in a permissions boundary', 'with an explicit deny in a permissions boundary'],
    ['with an explicit deny in a resource-based policy: arn:aws:s3:::b', 'with an explicit deny in a resource-based policy: arn:aws:s3:::b'],
  ])('%s', (reason, said) => {
    expect(denied(`User: arn:aws:iam::111122223333:user/u is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" ${reason}`)).toContain(`, and AWS says ${said} (AccessDenied)`);
  });

  it('a 403 about the credentials (an expired token, a bad signature) is not a missing permission', () => {
    const expired = awsFailureText(Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredToken', $bridgeCall: 'GetRole', $bridgeService: 'iam', $metadata: { httpStatusCode: 403 } }));
    expect(expired).toBe('GetRole answered ExpiredToken: The security token included in the request is expired');
  });
});

describe("--verbose's call log", () => {
  it("hears each call's answer: HTTP status, time, AWS's request id, or the error's name", async () => {
    let requests = 0;
    const endpoint = await scripted((_req, res) => {
      requests++;
      const ok = requests === 1;
      res.writeHead(ok ? 200 : 400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${requests}` });
      res.end(JSON.stringify(ok ? { Keys: [], Truncated: false } : { __type: 'NotFoundException', message: 'no such key' }));
    });
    const aws = new AwsClients({ region: 'us-east-1', endpoint, maxAttempts: 1 });
    const answers: { command: string; status?: number; requestId?: string; error?: string; ms: number }[] = [];
    aws.onAnswer = (call, answer) => answers.push({ command: call.command, ...answer });
    await aws.kms.send(new ListKeysCommand({}));
    await aws.kms.send(new ListKeysCommand({})).catch(() => {});
    aws.destroy();
    expect(answers).toEqual([
      { command: 'ListKeys', status: 200, requestId: 'req-1', ms: expect.any(Number) },
      { command: 'ListKeys', status: 400, requestId: 'req-2', error: 'NotFoundException', ms: expect.any(Number) },
    ]);
  });
});
