/**
 * Under the faults real accounts produce: a steady fifth of every request answered with throttling
 * (each service's own name for it: ThrottlingException, Throttling, SlowDown,
 * TooManyRequestsException), 429, 500, 503, a dropped connection or an answer 150 ms late, by the
 * loopback proxy before moto sees the request. The SDK's retries (configured once, in src/aws.ts)
 * must carry every command through, to the same end state as a run without faults; a fault that
 * outlasts them must fail the command naming the resource and the operation, and a re-run converge.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { DescribeKeyCommand, DisableKeyRotationCommand, ListAliasesCommand, ListResourceTagsCommand, paginateListKeys } from '@aws-sdk/client-kms';
import { GetRestApisCommand } from '@aws-sdk/client-api-gateway';
import { ListObjectVersionsCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { startSampleSource, type SampleSource } from '../../src/local/sample-source.js';
import { stackNames } from '../../src/names.js';
import { retryTiming } from '../../src/retry.js';
import { awsError, startAwsProxy, type AwsProxy } from '../support/aws-proxy.js';
import { LOCAL_ACCOUNT, TEST_SOURCE_KEY, localClients, resetLocal, runCli, setupArgs } from '../support/helpers.js';

const aws = localClients();
let proxy: AwsProxy;
let source: SampleSource;

beforeAll(async () => {
  await resetLocal();
  proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL as string);
  source = await startSampleSource({ apiKey: TEST_SOURCE_KEY, keyIn: { in: 'query', name: 'appid' } });
});

afterAll(async () => {
  await proxy?.close();
  await source?.stop();
});

const sourced = (stack: string) => ['setup', '--stack', stack, '--source-url', source.weatherUrl, '--source-key-in', 'query:appid', '--api-key-env', 'TEST_SOURCE_KEY', '--configure-account-logging'];

afterEach(() => {
  retryTiming.scale = 1;
  proxy.faults = null;
  proxy.rules.length = 0;
  proxy.answered.length = 0;
  proxy.injected.length = 0;
});

const via = (args: string[]) => [...args, '--endpoint-url', proxy.endpoint];
const storm = (seed: number) => {
  retryTiming.scale = 0.1;
  proxy.faults = { share: 0.2, seed };
};

/** Keys tagged for the stack, by state: a duplicate or an orphan shows here. */
async function stackKeys(stack: string): Promise<string[]> {
  const states: string[] = [];
  for await (const page of paginateListKeys({ client: aws.kms }, {})) {
    for (const key of page.Keys ?? []) {
      const tags = await aws.kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId }));
      if (tags.Tags?.some((t) => t.TagKey === 'bridge:stack' && t.TagValue === stack)) states.push(key.KeyId as string);
    }
  }
  return states;
}

async function apisNamed(name: string): Promise<number> {
  return ((await aws.apigateway.send(new GetRestApisCommand({ limit: 500 }))).items ?? []).filter((a) => a.name === name).length;
}

/** Statuses by control id: what the audit says about the stack. */
async function auditStatuses(stack: string): Promise<Record<string, string>> {
  const run = await runCli(['audit', '--stack', stack, '--json']);
  return Object.fromEntries((JSON.parse(run.stdout) as { results: { id: string; status: string }[] }).results.map((r) => [r.id, r.status]));
}

describe('a steady 20% of throttling, 5xx, dropped connections and latency', () => {
  it('setup, audit, invoke --local and teardown --delete-data all succeed, to the state a calm run reaches', async () => {
    // The calm run: the reference state.
    const calm = await runCli(sourced('calm'), { env: { TEST_SOURCE_KEY } });
    expect(calm.code, calm.stderr).toBe(0);
    expect((await runCli(['invoke', '--stack', 'calm', '--local', '--json'])).code).toBe(0);

    storm(7);
    const up = await runCli(via(sourced('storm')), { env: { TEST_SOURCE_KEY } });
    expect(up.code, up.stderr).toBe(0);
    const setupFaults = proxy.injected.length;
    expect(setupFaults).toBeGreaterThan(10);
    expect(new Set(proxy.injected.map((f) => f.split(' ')[0]))).toEqual(new Set(['throttling', '429', '500', '503', 'drop', 'latency']));

    const audited = await runCli(via(['audit', '--stack', 'storm', '--json']));
    expect(audited.code, audited.stderr).toBe(0);
    const invoked = await runCli(via(['invoke', '--stack', 'storm', '--local', '--json']));
    expect(invoked.code, invoked.stderr).toBe(0);
    proxy.faults = null;
    const n = stackNames('storm', LOCAL_ACCOUNT, 'us-east-1');
    expect((await aws.s3.send(new ListObjectVersionsCommand({ Bucket: n.bucket }))).Versions?.length).toBe(1);

    // The same end state as the calm run: nothing left to change, one key, one API, the same verdicts.
    const plan = await runCli([...sourced('storm'), '--dry-run', '--json'], { env: { TEST_SOURCE_KEY } });
    expect(plan.code, plan.stderr).toBe(0);
    expect((JSON.parse(plan.stdout) as { changes: { action: string }[] }).changes.filter((c) => c.action !== 'noop')).toEqual([]);
    expect(await stackKeys('storm')).toHaveLength(1);
    expect(await apisNamed('storm-api')).toBe(1);
    expect(await auditStatuses('storm')).toEqual(await auditStatuses('calm'));

    storm(11);
    const down = await runCli(via(['teardown', '--stack', 'storm', '--delete-data', '--yes']));
    expect(down.code, down.stderr).toBe(0);
    proxy.faults = null;
    expect(await apisNamed('storm-api')).toBe(0);
    const aliases = (await aws.kms.send(new ListAliasesCommand({}))).Aliases ?? [];
    expect(aliases.some((a) => a.AliasName === 'alias/storm')).toBe(false);
  }, 240_000);
});

describe('a fault that outlasts the retries', () => {
  it("fails setup naming the resource and the operation, exit 1; a re-run converges", async () => {
    // The SDK's backoff, at a fiftieth of its pace (retryTiming.scale reaches it through src/retry.ts).
    retryTiming.scale = 0.02;
    onTestFinished(() => {
      retryTiming.scale = 1;
    });
    proxy.rules.push({ service: 's3', operation: /PUT \/storm2/, when: (r) => r.url.includes('versioning'), respond: () => awsError.s3(503, 'SlowDown', 'Please reduce your request rate.') });
    const failed = await runCli(via(setupArgs('storm2')), { env: { TEST_SOURCE_KEY } });
    expect(failed.code).toBe(1);
    const n = stackNames('storm2', LOCAL_ACCOUNT, 'us-east-1');
    expect(failed.stderr).toContain(`error: setup failed at S3 bucket ${n.bucket}: PutBucketVersioning answered SlowDown: Please reduce your request rate (gave up after 8 attempts)`);
    expect(failed.stderr).not.toMatch(/\n\s+at /);
    proxy.rules.length = 0;
    const again = await runCli(via(setupArgs('storm2')), { env: { TEST_SOURCE_KEY } });
    expect(again.code, again.stderr).toBe(0);
    expect(await stackKeys('storm2')).toHaveLength(1);

    // The same for teardown: API Gateway keeps failing DeleteRestApi.
    proxy.rules.push({ service: 'apigateway', operation: /^DELETE \/restapis\/\w+$/, respond: () => awsError.restJson(503, 'ServiceUnavailableException', 'Service Unavailable') });
    const stuck = await runCli(via(['teardown', '--stack', 'storm2', '--delete-data', '--yes']));
    expect(stuck.code).toBe(1);
    expect(stuck.stderr).toMatch(/error: teardown stopped at REST API storm2-api: DeleteRestApi answered ServiceUnavailableException: Service Unavailable \(gave up after 8 attempts\)\. What was removed stays removed; run teardown again to finish/);
    proxy.rules.length = 0;
    const finished = await runCli(via(['teardown', '--stack', 'storm2', '--delete-data', '--yes']));
    expect(finished.code, finished.stderr).toBe(0);
    expect(await apisNamed('storm2-api')).toBe(0);
  }, 120_000);
});

describe('an audit read that fails past its retries', () => {
  it('is ERROR, never PASS, and outranks a FAIL: exit 1, said in one line', async () => {
    retryTiming.scale = 0.02;
    const up = await runCli(setupArgs('storm3'), { env: { TEST_SOURCE_KEY } });
    expect(up.code, up.stderr).toBe(0);
    // KMS keeps failing the rotation read, and someone suspended versioning (a FAIL).
    await aws.s3.send(new PutBucketVersioningCommand({ Bucket: stackNames('storm3', LOCAL_ACCOUNT, 'us-east-1').bucket, VersioningConfiguration: { Status: 'Suspended' } }));
    proxy.rules.push({ service: 'kms', operation: 'GetKeyRotationStatus', respond: () => awsError.json(500, 'KMSInternalException', 'An internal error occurred.') });
    const run = await runCli(via(['audit', '--stack', 'storm3', '--json']));
    const results = (JSON.parse(run.stdout) as { results: { id: string; status: string; detail: string }[] }).results;
    const rotation = results.find((r) => r.id === 'kms-rotation');
    expect(rotation?.status).toBe('ERROR');
    expect(rotation?.detail).toContain('KMSInternalException');
    expect(results.find((r) => r.id === 's3-versioning')?.status).toBe('FAIL');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: the audit is incomplete: \d+ controls? could not be judged \(ERROR\), besides \d+ failing; exit 1/);
    // In SARIF the unjudged control keeps its alert (a result with the fingerprint it has when it
    // fails), and the run says it was incomplete: code scanning must not close what it could not see.
    const sarifRun = (text: string) =>
      (JSON.parse(text) as { runs: { invocations: { executionSuccessful: boolean }[]; results: { ruleId: string; kind: string; partialFingerprints: Record<string, string> }[] }[] }).runs[0];
    const unjudged = sarifRun((await runCli(via(['audit', '--stack', 'storm3', '--format', 'sarif']))).stdout);
    expect(unjudged?.invocations[0]?.executionSuccessful).toBe(false);
    const open = unjudged?.results.find((r) => r.ruleId === 'kms-rotation');
    expect(open?.kind).toBe('open');
    proxy.rules.length = 0;
    const calm = await runCli(via(['audit', '--stack', 'storm3', '--json']));
    expect(calm.code).toBe(3);
    // Rotation off, now readable: the same alert, failing.
    const key = await aws.kms.send(new DescribeKeyCommand({ KeyId: 'alias/storm3' }));
    await aws.kms.send(new DisableKeyRotationCommand({ KeyId: key.KeyMetadata?.KeyId }));
    const failing = sarifRun((await runCli(via(['audit', '--stack', 'storm3', '--format', 'sarif']))).stdout);
    expect(failing?.invocations[0]?.executionSuccessful).toBe(true);
    const fail = failing?.results.find((r) => r.ruleId === 'kms-rotation');
    expect(fail?.kind).toBe('fail');
    expect(fail?.partialFingerprints).toEqual(open?.partialFingerprints);
  }, 120_000);

  // On the stack the test above made (storm3).
  it('names the permission a denied read lacks, and an answer that was not AWS\'s, never SDK internals', async () => {
    retryTiming.scale = 0.02;
    // AWS's denial (IAM user guide, "access denied error messages") names the action and why;
    // the local AWS never denies these reads, so the proxy answers as AWS would.
    const denial = 'User: arn:aws:sts::123456789012:assumed-role/auditor/s is not authorized to perform: iam:GetRole on resource: role storm3-ingest-role-us-east-1 because no identity-based policy allows the iam:GetRole action';
    proxy.rules.push({ service: 'iam', operation: 'GetRole', respond: () => awsError.query(403, 'AccessDenied', denial) });
    // A gateway in between answering KMS with an HTML page.
    proxy.rules.push({ service: 'kms', operation: 'GetKeyRotationStatus', respond: () => ({ status: 502, headers: { 'content-type': 'text/html' }, body: '<html><body>502 Bad Gateway</body></html>' }) });
    onTestFinished(() => {
      proxy.rules.length = 0;
    });
    const run = await runCli(via(['audit', '--stack', 'storm3', '--json']));
    expect(run.code).toBe(1);
    const results = (JSON.parse(run.stdout) as { results: { id: string; status: string; detail: string }[] }).results;
    const trust = results.find((r) => r.id === 'iam-role-trust');
    expect(trust).toMatchObject({ status: 'ERROR' });
    expect(trust?.detail).toBe(
      'could not read execution-role: access denied: GetRole needs iam:GetRole, and AWS says because no identity-based policy allows the iam:GetRole action (AccessDenied); allow it for these credentials (templates/deployer-policy.json lists what bridge needs)',
    );
    const rotation = results.find((r) => r.id === 'kms-rotation');
    expect(rotation?.detail).toMatch(/^could not read kms-key: GetKeyRotationStatus got an answer that is not AWS's \(HTTP 502\): a proxy or a wrong endpoint in between answered/);
    for (const r of results.filter((x) => x.status === 'ERROR')) expect(r.detail).not.toMatch(/SyntaxError|Unexpected token|hidden field|Deserialization|\$response/);
  }, 120_000);
});
