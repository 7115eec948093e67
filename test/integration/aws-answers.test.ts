/**
 * What the local AWS does not say but AWS does, reproduced by a loopback proxy in front of it
 * (test/support/aws-proxy.ts), with the converged result shown each time. The AWS source of each
 * answer is named where it is reproduced.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { GetBucketTaggingCommand } from '@aws-sdk/client-s3';
import { parsePolicy } from '../../src/policy.js';
import { retryTiming } from '../../src/retry.js';
import { awsError, startAwsProxy, type AwsProxy, type ProxyRule } from '../support/aws-proxy.js';
import { LOCAL_ACCOUNT, TEST_SOURCE_KEY, localClients, mutatingCalls, resetLocal, runCli, setupArgs } from '../support/helpers.js';

const aws = localClients();
let proxy: AwsProxy;

beforeAll(async () => {
  await resetLocal();
  // AWS's transient answers last seconds; here the same retries run at a fiftieth of the pace.
  retryTiming.scale = 0.02;
  proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL as string);
});

afterAll(async () => {
  retryTiming.scale = 1;
  await proxy?.close();
});

beforeEach(() => {
  proxy.seen.length = 0;
});

afterEach(() => {
  proxy.rules.length = 0;
  proxy.answered.length = 0;
});

function use(...rules: ProxyRule[]): void {
  proxy.rules.push(...rules);
  proxy.answered.push(...rules.map(() => 0));
}

const setup = (stack: string, extra: string[] = []) => runCli(setupArgs(stack, ['--endpoint-url', proxy.endpoint, '--verbose', ...extra]), { env: { TEST_SOURCE_KEY } });

describe('a new KMS key, not yet visible where it is named (KMS developer guide, "Eventual consistency")', () => {
  it('setup retries those calls, converges in one run, and an immediate second run is a no-op', async () => {
    const stack = 'consistent';
    const keyNotFound = awsError.json(400, 'NotFoundException', `Key 'arn:aws:kms:us-east-1:${LOCAL_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab' does not exist`);
    use(
      { service: 'kms', operation: 'CreateAlias', times: 2, respond: () => keyNotFound },
      { service: 'kms', operation: 'EnableKeyRotation', times: 1, respond: () => keyNotFound },
      { service: 'kms', operation: 'PutKeyPolicy', times: 1, respond: () => keyNotFound },
      {
        // CloudWatch Logs, until the key is visible to it (as reported in terraform-provider-aws #29282).
        service: 'logs',
        operation: 'CreateLogGroup',
        times: 2,
        respond: (request) =>
          awsError.json(
            400,
            'AccessDeniedException',
            `The specified KMS key does not exist or is not allowed to be used with Arn 'arn:aws:logs:us-east-1:${LOCAL_ACCOUNT}:log-group:${JSON.parse(request.body).logGroupName}'`,
          ),
      },
      {
        service: 'ssm',
        operation: 'PutParameter',
        // The source key's parameter (encrypted with the new key), not the stack's lock.
        when: (request) => request.body.includes('/source/api-key'),
        times: 1,
        respond: () => awsError.json(400, 'InvalidKeyId', `Key 'arn:aws:kms:us-east-1:${LOCAL_ACCOUNT}:key/x' does not exist (Service: AWSKMS; Status Code: 400; Error Code: NotFoundException)`),
      },
    );
    const first = await setup(stack);
    expect(first.code, first.stderr).toBe(0);
    expect(proxy.answered).toEqual([2, 1, 1, 2, 1]);
    expect(first.stderr).toMatch(/waiting for KMS to make the new key visible/);
    expect(first.stderr).not.toContain(TEST_SOURCE_KEY);
    const second = await setup(stack);
    expect(second.code, second.stderr).toBe(0);
    expect(mutatingCalls(second)).toEqual([]);
  });
});

describe("API Gateway's account-wide CloudWatch role", () => {
  it('is trusted as AWS documents it: apigateway.amazonaws.com, no aws:SourceAccount condition', async () => {
    const run = await setup('logrole', ['--configure-account-logging']);
    expect(run.code, run.stderr).toBe(0);
    const role = (await aws.iam.send(new GetRoleCommand({ RoleName: 'bridge-apigateway-cloudwatch' }))).Role;
    const trust = parsePolicy(role?.AssumeRolePolicyDocument as string);
    expect(trust.Statement).toEqual([expect.objectContaining({ Principal: { Service: 'apigateway.amazonaws.com' }, Action: 'sts:AssumeRole' })]);
    expect(trust.Statement[0]?.Condition).toBeUndefined();
  });

  it('a refusal that persists past the retries is reported as what it is, not as waiting for IAM', async () => {
    await resetLocal();
    // UpdateAccount's answer when API Gateway cannot use the role (quoted in aws-cloudformation/rain#163).
    use({
      service: 'apigateway',
      operation: 'PATCH /account',
      respond: () =>
        awsError.restJson(400, 'BadRequestException', 'The role ARN does not have required permissions configured. Please grant trust permission for API Gateway and add the required role policy.'),
    });
    const run = await setup('badrole', ['--configure-account-logging']);
    expect(run.code).toBe(1);
    const last = run.stderr.split('\n').find((line) => line.startsWith('error:')) ?? '';
    expect(last).toMatch(/API Gateway still refuses the CloudWatch role arn:aws:iam::\d+:role\/bridge\/bridge-apigateway-cloudwatch after \d+ s/);
    expect(last).toMatch(/trust policy lets apigateway\.amazonaws\.com assume it/);
    expect(last).not.toMatch(/waiting for IAM/);
    expect(proxy.answered[0]).toBeGreaterThan(1);
  });
});

describe('CreateBucket in us-east-1 without s3:TagResource', () => {
  it('falls back to an untagged create without an empty CreateBucketConfiguration (MalformedXML on S3), then tags', async () => {
    const stack = 'notagperm';
    const Bucket = `${stack}-${LOCAL_ACCOUNT}-us-east-1`;
    const isCreate = (method: string, url: string) => method === 'PUT' && url.split('?')[0]?.replace(/\/$/, '') === `/${Bucket}`;
    use(
      {
        // Tags in CreateBucketConfiguration need s3:TagResource (S3 API reference, CreateBucket).
        service: 's3',
        operation: /^PUT \//,
        when: (r) => isCreate(r.method, r.url) && r.body.includes('<Tags>'),
        respond: () => awsError.s3(403, 'AccessDenied', `User: arn:aws:iam::${LOCAL_ACCOUNT}:user/deployer is not authorized to perform: s3:TagResource on resource: "arn:aws:s3:::${Bucket}"`),
      },
      {
        service: 's3',
        operation: /^PUT \//,
        when: (r) => isCreate(r.method, r.url) && /<CreateBucketConfiguration[^>]*(\/>|>\s*<\/CreateBucketConfiguration>)/.test(r.body),
        respond: () => awsError.s3(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema'),
      },
    );
    const run = await setup(stack);
    expect(run.code, run.stderr).toBe(0);
    expect(proxy.answered).toEqual([1, 0]);
    const tags = (await aws.s3.send(new GetBucketTaggingCommand({ Bucket }))).TagSet;
    expect(tags).toContainEqual({ Key: 'bridge:stack', Value: stack });
  });
});

describe('GetFunction returns Tags only to callers allowed lambda:ListTags (Lambda API reference, GetFunction)', () => {
  const stack = 'tagsread';
  const stripTags: ProxyRule = {
    service: 'lambda',
    operation: `GET /2015-03-31/functions/${stack}-ingest`,
    async respond(_request, forward) {
      const answer = await forward();
      if (answer.status !== 200) return answer;
      const body = JSON.parse(answer.body) as Record<string, unknown>;
      delete body.Tags;
      body.TagsError = { ErrorCode: 'AccessDeniedException', Message: 'The caller is not authorized to perform lambda:ListTags on this function, so its tags are not shown.' };
      return { ...answer, body: JSON.stringify(body) };
    },
  };

  beforeAll(async () => {
    const run = await runCli(setupArgs(stack), { env: { TEST_SOURCE_KEY } });
    expect(run.code, run.stderr).toBe(0);
  });

  it('reads ownership with ListTags instead, and the stack is the same: a no-op', async () => {
    use(stripTags);
    const run = await setup(stack);
    expect(run.code, run.stderr).toBe(0);
    expect(proxy.answered[0]).toBeGreaterThan(0);
    expect(proxy.seen.filter((s) => s.startsWith('lambda:GET /2017-03-31/tags/')).length).toBeGreaterThan(0);
    expect(mutatingCalls(run)).toEqual([]);
  });

  it('without lambda:ListTags either, says so naming the permission, and teardown removes nothing (not even the role)', async () => {
    use(stripTags, {
      service: 'lambda',
      operation: /^GET \/2017-03-31\/tags\//,
      respond: () =>
        awsError.restJson(403, 'AccessDeniedException', `User: arn:aws:iam::${LOCAL_ACCOUNT}:user/deployer is not authorized to perform: lambda:ListTags on resource: arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:${stack}-ingest`),
    });
    const run = await setup(stack);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/needs lambda:ListTags/);
    expect(run.stderr).not.toMatch(/not tagged bridge:stack/);
    const down = await runCli(['teardown', '--stack', stack, '--endpoint-url', proxy.endpoint, '--yes']);
    expect(down.code).not.toBe(0);
    expect(down.stderr).toMatch(/lambda:ListTags/);
    expect((await aws.iam.send(new GetRoleCommand({ RoleName: `${stack}-ingest-role-us-east-1` }))).Role).toBeDefined();
    expect((await aws.lambda.send(new GetFunctionCommand({ FunctionName: `${stack}-ingest` }))).Configuration).toBeDefined();
  });
});

describe('an opt-in region that is not enabled for the account', () => {
  it('is named as the likely cause, with the command that enables it, instead of only "refresh your credentials"', async () => {
    // STS in a region the account has not enabled rejects the token (InvalidClientTokenId, 403).
    use({ service: 'sts', operation: 'GetCallerIdentity', respond: () => awsError.query(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.') });
    const run = await runCli(['setup', '--dry-run', '--stack', 'optin', '--region', 'af-south-1', '--endpoint-url', proxy.endpoint]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/af-south-1 is an opt-in region; if it is not enabled for this account, enable it \(aws account enable-region --region-name af-south-1\)/);
    const old = await runCli(['setup', '--dry-run', '--stack', 'optin', '--region', 'eu-west-1', '--endpoint-url', proxy.endpoint]);
    expect(old.code).toBe(2);
    expect(old.stderr).toMatch(/AWS rejected the credentials \(InvalidClientTokenId\): refresh them/);
  });
});
