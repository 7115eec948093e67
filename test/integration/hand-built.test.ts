/**
 * `bridge audit --from-function`: the console tutorial's data bridge (built here by the team, step
 * by step, with its mistakes: test/support/tutorial-stack.ts) found from its function and judged
 * with the same catalogue and ids, read calls only. Every mistake the tutorial makes is found under
 * its control, names the resource and the policy or statement at fault, and the API key is never
 * printed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTROLS } from '../../src/audit/controls/index.js';
import { LOCAL_ACCOUNT, localClients, mutatingCalls, resetLocal, runCli } from '../support/helpers.js';
import { TUTORIAL, buildTutorialStack } from '../support/tutorial-stack.js';

const aws = localClients();

interface Result {
  id: string;
  status: string;
  detail: string;
  resource: string;
  remediation: string;
}

let run: Awaited<ReturnType<typeof runCli>>;
let byId: Map<string, Result>;
let report: { stack: string; account: string; summary: Record<string, number>; results: Result[] };

beforeAll(async () => {
  await resetLocal();
  await buildTutorialStack(aws);
  run = await runCli(['audit', '--from-function', TUTORIAL.function, '--operators-group', TUTORIAL.group, '--json', '--verbose']);
  report = JSON.parse(run.stdout);
  byId = new Map(report.results.map((r) => [r.id, r]));
});

describe('audit --from-function on the console tutorial\'s stack', () => {
  it('reads only, says it audited a stack bridge did not build, lists what it found, and exits 3', () => {
    expect(mutatingCalls(run)).toEqual([]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`Function ${TUTORIAL.function} in us-east-1 (account ${LOCAL_ACCOUNT}): a data bridge bridge did not build`);
    expect(run.stderr).toMatch(new RegExp(`role arn:aws:iam::${LOCAL_ACCOUNT}:role/${TUTORIAL.role}: .*AWSLambdaExecute \\(AWS managed\\).*S3AccessPolicy \\(customer managed\\)`));
    expect(run.stderr).toContain(`bucket ${TUTORIAL.bucket}, from the function's environment (S3_BUCKET_NAME)`);
    expect(run.stderr).toMatch(/REST API WeatherAPI \(\w+\): GET \/data; stages prod/);
    expect(run.stderr).toContain(`operators group ${TUTORIAL.group}: ${TUTORIAL.user}`);
    expect(report.stack).toBe(`function:${TUTORIAL.function}`);
    expect(report.results.map((r) => r.id)).toEqual(CONTROLS.map((c) => c.id));
  });

  it('never prints the API key, in any output, nor sends it anywhere as a bucket name to look up', () => {
    expect(run.stdout + run.stderr).not.toContain(TUTORIAL.apiKey);
    // Its 32 hex characters make a valid bucket name: only S3_BUCKET_NAME's value is asked about.
    expect(run.stderr.match(/^aws s3 HeadBucket$/gm)).toHaveLength(1);
  });

  it.each([
    ['iam-role-least-privilege', /managed policy AmazonS3ReadOnlyAccess statement \d+ allows s3:Get\*, s3:List\*.* on every bucket in the account.*customer managed policy S3AccessPolicy statement 1 allows s3:DeleteObject: a stolen role can erase the data.*the function only writes/],
    ['iam-role-trust', /trust policy: no aws:SourceAccount condition for this account/],
    ['s3-policy', /statement AllowLambdaRead grants s3:GetObject to the whole lambda\.amazonaws\.com service, with no aws:SourceArn or aws:SourceAccount/],
    ['s3-public-access-block', /off: all four \(no configuration\)/],
    ['s3-tls-only', /no statement denies requests without TLS/],
    ['s3-default-encryption', /SSE-KMS with the AWS managed key aws\/s3/],
    ['s3-lifecycle', /noncurrent versions never expire, incomplete uploads are never aborted/],
    ['lambda-no-secrets-in-env', /^API_KEY holds a long hexadecimal value$/],
    ['lambda-permission-scoped', /allows arn:aws:execute-api:us-east-1:\d+:\w+\/\*\/\*\/\*: every stage, method and path/],
    ['api-auth-required', /WeatherAPI GET \/data has authorization NONE: anyone on the internet can run the function/],
    ['api-access-logging', /WeatherAPI stage prod writes no access logs/],
    ['logs-retention-encryption', /no log group: the first run makes one, kept forever/],
    ['iam-operators-least-privilege', /group LambdaAdministrators: AWS managed policy AmazonS3ReadOnlyAccess reaches beyond this stack/],
  ])('fails %s, naming what is at fault', (id, detail) => {
    const result = byId.get(id);
    expect(result?.status, JSON.stringify(result)).toBe('FAIL');
    expect(result?.detail).toMatch(detail);
  });

  it('says what the secure stack does instead in each fix', () => {
    expect(byId.get('s3-policy')?.remediation).toMatch(/bucket policy grants no service at all/);
    expect(byId.get('lambda-no-secrets-in-env')?.remediation).toMatch(/SSM SecureString .* then rotate it/);
    expect(byId.get('iam-role-least-privilege')?.resource).toBe(`arn:aws:iam::${LOCAL_ACCOUNT}:role/${TUTORIAL.role}`);
    expect(byId.get('s3-policy')?.resource).toBe(`arn:aws:s3:::${TUTORIAL.bucket}`);
  });

  it('passes what the tutorial gets right, and skips what only bridge\'s own stack can be held to, with the reason', () => {
    expect(byId.get('s3-versioning')?.status).toBe('PASS');
    expect(byId.get('lambda-runtime-supported')).toMatchObject({ status: 'PASS', detail: 'python3.12 is supported' });
    expect(byId.get('iam-user-no-direct-policies')?.status).toBe('PASS');
    for (const id of ['lambda-code-integrity', 'kms-policy', 'lambda-environment-as-intended', 'access-as-intended', 'schedule-state']) {
      expect(byId.get(id)).toMatchObject({ status: 'SKIP', detail: expect.stringMatching(/^not judged: it compares with the state bridge intends/) });
    }
    expect(report.summary.error).toBe(0);
  });
});

describe('audit --from-function, as people read it and when it cannot go on', () => {
  it('shows a table naming each failing resource', async () => {
    const table = await runCli(['audit', '--from-function', TUTORIAL.function, '--failures-only']);
    expect(table.code).toBe(3);
    expect(table.stdout).toMatch(/FAIL +critical +lambda-no-secrets-in-env/);
    expect(table.stdout).toContain(`arn:aws:s3:::${TUTORIAL.bucket}`);
    expect(table.stdout + table.stderr).not.toContain(TUTORIAL.apiKey);
    // Without --operators-*, the people's side is skipped, saying how to include it.
    const json = JSON.parse((await runCli(['audit', '--from-function', TUTORIAL.function, '--json'])).stdout) as { results: Result[] };
    expect(json.results.find((r) => r.id === 'iam-operators-least-privilege')).toMatchObject({ status: 'SKIP', detail: expect.stringContaining('--operators-group NAME') });
  });

  it('a function that is not there: exit 1, naming it and the region', async () => {
    const missing = await runCli(['audit', '--from-function', 'no-such-function']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no function no-such-function in us-east-1 \(account \d+\): check --from-function and --region/);
  });

  it('refuses what has no meaning for a stack bridge did not build, before any call: exit 2', async () => {
    const fix = await runCli(['audit', '--from-function', TUTORIAL.function, '--fix', '--yes', '--verbose']);
    expect(fix.code).toBe(2);
    expect(fix.stderr).toMatch(/--fix cannot go with --from-function/);
    expect(fix.stderr).not.toMatch(/^aws /m);
    const alone = await runCli(['audit', '--operators-group', TUTORIAL.group]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--operators-group goes with --from-function NAME/);
  });
});
