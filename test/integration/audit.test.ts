/**
 * bridge audit against the local AWS: every control passes on a fresh stack, each fails after its
 * drift is injected through the SDK, --fix puts the stack back, and the machine formats hold.
 * (Controls the emulator cannot put in a failing state are judged on snapshots in unit tests:
 * lambda-tracing, iam-user-key-age, and a denied read becoming ERROR.)
 */
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetResourcesCommand, PutIntegrationCommand, PutMethodCommand, UpdateStageCommand } from '@aws-sdk/client-api-gateway';
import { DeleteLogGroupCommand, DeleteRetentionPolicyCommand, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateRoleCommand,
  GetRolePolicyCommand,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { DescribeKeyCommand, DisableKeyCommand, DisableKeyRotationCommand, GetKeyPolicyCommand, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import {
  AddPermissionCommand,
  DeleteFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import {
  DeleteBucketLifecycleCommand,
  DeletePublicAccessBlockCommand,
  PutBucketEncryptionCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { CONTROLS } from '../../src/audit/controls/index.js';
import { zipFiles } from '../../src/bundle.js';
import { parsePolicy } from '../../src/policy.js';
import { startSampleSource, type SampleSource } from '../../src/local/sample-source.js';
import { browserAvailable, launchBrowser } from '../support/browser.js';
import { LOCAL_ACCOUNT, TEST_SOURCE_KEY, localClients, resetLocal, runCli } from '../support/helpers.js';
import { main } from '../../src/cli.js';
import type { Io } from '../../src/output.js';

const stack = 'auditcheck';
const Bucket = `${stack}-${LOCAL_ACCOUNT}-us-east-1`;
const FunctionName = `${stack}-ingest`;
const RoleName = `${stack}-ingest-role-us-east-1`;
const aws = localClients();
const { lambda, apigateway: apigw, logs } = aws;
let source: SampleSource;
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;
const keyFile = join(mkdtempSync(join(tmpdir(), 'bridge-audit-')), 'operator.credentials');

interface Result {
  id: string;
  status: string;
  detail: string;
  severity: string;
  resource: string;
  remediation: string;
}

async function audit(extra: string[] = []) {
  const run = await runCli(['audit', '--stack', stack, '--json', ...extra]);
  return { code: run.code, stderr: run.stderr, report: JSON.parse(run.stdout) as { summary: Record<string, number>; results: Result[]; stack: string; account: string; region: string } };
}

function byId(results: Result[]): Record<string, Result> {
  return Object.fromEntries(results.map((r) => [r.id, r]));
}

beforeAll(async () => {
  await resetLocal();
  source = await startSampleSource({ apiKey: TEST_SOURCE_KEY });
  const setup = await runCli(
    ['setup', '--stack', stack, '--source-url', source.weatherUrl, '--source-key-in', 'query:appid', '--api-key-env', 'TEST_SOURCE_KEY', '--configure-account-logging', '--operator-access-key-file', keyFile, '--schedule', 'rate(1 hour)'],
    { env: { TEST_SOURCE_KEY } },
  );
  expect(setup.code, setup.stderr).toBe(0);
  const invoke = await runCli(['invoke', '--stack', stack, '--local']);
  expect(invoke.code, invoke.stderr).toBe(0);
});

afterAll(async () => {
  await source?.stop();
});

describe('a fresh stack', () => {
  it('passes every control, in the documented JSON, exit 0', async () => {
    const { code, report } = await audit();
    expect(report).toMatchObject({ stack, region: 'us-east-1', account: LOCAL_ACCOUNT });
    expect(report.results.map((r) => r.id)).toEqual(CONTROLS.map((c) => c.id));
    expect(report.results.filter((r) => r.status !== 'PASS')).toEqual([]);
    expect(report.summary).toEqual({ pass: CONTROLS.length, fail: 0, error: 0, skip: 0, muted: 0 });
    for (const r of report.results) expect(Object.keys(r).sort()).toEqual(['detail', 'frameworks', 'id', 'remediation', 'resource', 'resourceArn', 'resourceKind', 'severity', 'status', 'title']);
    expect(code).toBe(0);
  });

  it('shows a table: passing controls folded into one line, listed by service with --verbose, and a summary line', async () => {
    const folded = await runCli(['audit', '--stack', stack]);
    expect(folded.code).toBe(0);
    expect(folded.stdout).toMatch(new RegExp(`^Passed \\(${CONTROLS.length}\\) --verbose lists them$`, 'm'));
    expect(folded.stdout).not.toContain('s3-tls-only');
    const run = await runCli(['audit', '--stack', stack, '--verbose']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^KMS$/m);
    expect(run.stdout).toMatch(/^API Gateway$/m);
    expect(run.stdout).toMatch(/^ {2}PASS {2}s3-tls-only +medium/m);
    expect(run.stdout).toContain(`${CONTROLS.length} passed, 0 failed, 0 errors, 0 skipped (${CONTROLS.length} controls)`);
  });
});

/** Every fixable drift at once, as a careless console session would leave it. */
async function injectDrift() {
  const keyId = (await aws.kms.send(new DescribeKeyCommand({ KeyId: `alias/${stack}` }))).KeyMetadata?.KeyId;
  const keyPolicy = parsePolicy((await aws.kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy as string);
  keyPolicy.Statement.push({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*' });
  await aws.kms.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: JSON.stringify(keyPolicy) }));
  await aws.kms.send(new DisableKeyRotationCommand({ KeyId: keyId }));
  await aws.kms.send(new DisableKeyCommand({ KeyId: keyId }));

  await aws.s3.send(new DeletePublicAccessBlockCommand({ Bucket }));
  await aws.s3.send(new PutBucketOwnershipControlsCommand({ Bucket, OwnershipControls: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] } }));
  await aws.s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Suspended' } }));
  await aws.s3.send(new PutBucketEncryptionCommand({ Bucket, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } }));
  // The tutorial's bucket policy: GetObject to the whole Lambda service, no TLS requirement.
  await aws.s3.send(
    new PutBucketPolicyCommand({
      Bucket,
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${Bucket}/*` }] }),
    }),
  );
  await aws.s3.send(new DeleteBucketLifecycleCommand({ Bucket }));

  await aws.iam.send(
    new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }),
  );
  const rolePolicy = parsePolicy((await aws.iam.send(new GetRolePolicyCommand({ RoleName, PolicyName: `${stack}-ingest` }))).PolicyDocument as string);
  rolePolicy.Statement.push({ Effect: 'Allow', Action: 's3:DeleteObject', Resource: `arn:aws:s3:::${Bucket}/*` });
  await aws.iam.send(new PutRolePolicyCommand({ RoleName, PolicyName: `${stack}-ingest`, PolicyDocument: JSON.stringify(rolePolicy) }));
  await aws.iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
  await aws.iam.send(
    new PutGroupPolicyCommand({
      GroupName: `${stack}-operators-us-east-1`,
      PolicyName: 'handy',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: `arn:aws:s3:::${Bucket}/*` }] }),
    }),
  );
  await aws.iam.send(new AttachUserPolicyCommand({ UserName: `${stack}-operator-us-east-1`, PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }));

  await lambda.send(new AddPermissionCommand({ FunctionName, StatementId: 'everyone', Action: 'lambda:InvokeFunction', Principal: '*' }));
  const other = await aws.iam.send(new CreateRoleCommand({ RoleName: 'someone-elses-role', AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}' }));
  const env = (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName }))).Environment?.Variables;
  await lambda.send(
    new UpdateFunctionConfigurationCommand({
      FunctionName,
      Runtime: 'nodejs18.x',
      Role: other.Role?.Arn,
      Environment: { Variables: { ...env, API_KEY: 'b6907d289e10d714a6e88b30761fae22', NODE_OPTIONS: '--require /tmp/hook.js' } },
    }),
  );
  await lambda.send(new UpdateFunctionCodeCommand({ FunctionName, ZipFile: await zipFiles([{ name: 'index.js', content: Buffer.from('export const handler = async () => 1;') }]) }));
  await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName }));
  await logs.send(new DeleteRetentionPolicyCommand({ logGroupName: `/aws/lambda/${FunctionName}` }));
  await aws.ssm.send(new PutParameterCommand({ Name: `/${stack}/source/api-key`, Value: TEST_SOURCE_KEY, Type: 'String', Overwrite: true }));

  const apis = (await apigw.send(new GetResourcesCommand({ restApiId: await apiId() }))).items ?? [];
  const resourceId = apis.find((r) => r.path === '/data')?.id;
  const restApiId = await apiId();
  await apigw.send(new PutMethodCommand({ restApiId, resourceId, httpMethod: 'GET', authorizationType: 'NONE' }));
  await apigw.send(
    new PutIntegrationCommand({ restApiId, resourceId, httpMethod: 'GET', type: 'AWS_PROXY', integrationHttpMethod: 'POST', uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:other/invocations' }),
  );
  await apigw.send(
    new UpdateStageCommand({
      restApiId,
      stageName: 'prod',
      patchOperations: [
        { op: 'remove', path: '/accessLogSettings' },
        { op: 'replace', path: '/*/*/logging/loglevel', value: 'OFF' },
        { op: 'replace', path: '/*/*/throttling/rateLimit', value: '10000' },
        { op: 'replace', path: '/tracingEnabled', value: 'false' },
      ],
    }),
  );
}

let cachedApiId: string | undefined;
async function apiId(): Promise<string> {
  if (!cachedApiId) {
    const run = await runCli(['setup', '--stack', stack, '--dry-run', '--json']);
    cachedApiId = JSON.parse(run.stdout).resources.api.id as string;
  }
  return cachedApiId;
}

describe('each control fails after its drift', () => {
  const expected: Record<string, RegExp> = {
    'kms-key-enabled': /the key is Disabled/,
    'kms-rotation': /automatic rotation is off/,
    'kms-policy': /allows everyone \(Principal \*\)/,
    's3-public-access-block': /off: all four/,
    's3-ownership-enforced': /object ownership is ObjectWriter/,
    's3-versioning': /versioning is Suspended/,
    's3-default-encryption': /default encryption is AES256/,
    's3-tls-only': /no statement denies requests without TLS/,
    's3-policy': /allows everyone/,
    's3-lifecycle': /no bridge-version-retention rule/,
    'iam-role-trust': /no aws:SourceAccount condition/,
    // In AWS's casing, naming the policy that grants it.
    'iam-role-least-privilege': /managed policy AdministratorAccess attached.*allows s3:DeleteObject.* on arn:aws:s3:::auditcheck-123456789012-us-east-1\/\*, from inline policy \S+/,
    'iam-operators-least-privilege': /allows s3:PutObject.* on arn:aws:s3:::auditcheck-123456789012-us-east-1\/\*, from inline policy \S+/,
    'iam-user-no-direct-policies': /holds managed ReadOnlyAccess/,
    'iam-no-admin': /execution role can do \* on \*/,
    // AdministratorAccess expands to every escalation action: the first few are named, then a count.
    'iam-no-privilege-escalation': /^execution role: allows cloudformation:CreateStack, cloudformation:UpdateStack, codebuild:CreateProject, ec2:RunInstances and \d+ more on \*, from managed policy AdministratorAccess$/,
    'lambda-not-public': /everyone: \* may lambda:InvokeFunction/,
    'lambda-permission-scoped': /other statements: everyone/,
    'lambda-runtime-supported': /nodejs18\.x is deprecated/,
    'lambda-no-secrets-in-env': /^API_KEY holds a long hexadecimal value$/,
    'lambda-environment-as-intended': /^API_KEY is set, and bridge does not set it; NODE_OPTIONS is set, and runs code before the handler$/,
    'lambda-code-integrity': /deployed CodeSha256 \S+ is not the bundle's/,
    'lambda-role': /runs as arn:aws:iam::123456789012:role\/someone-elses-role/,
    'lambda-concurrency': /no reserved concurrency/,
    'logs-retention-encryption': /\/aws\/lambda\/auditcheck-ingest keeps logs forever/,
    'ssm-secret-encrypted': /stored as String/,
    'api-auth-required': /authorization NONE without an API key/,
    'api-integration-target': /function:other\/invocations/,
    'api-access-logging': /access logging is off/,
    'api-execution-logging': /execution logging is OFF/,
    'api-throttling': /10000\/s/,
    'api-tracing': /tracing is off/,
    // Judged together: each request names its verdict and the statement that decided it.
    'access-as-intended': /^execution-role s3:PutObject on \S+\/elsewhere\/reading\.json \(writes outside the data prefix\): allow, intended deny; allowed by managed policy AdministratorAccess on auditcheck-ingest-role-us-east-1 statement 1; .* and \d+ more$/,
  };
  let results: Record<string, Result>;
  let code: number;

  beforeAll(async () => {
    await injectDrift();
    const run = await audit();
    results = byId(run.report.results);
    code = run.code;
  });

  it.each(Object.entries(expected))('%s', (id, detail) => {
    expect(results[id]?.status, results[id]?.detail).toBe('FAIL');
    expect(results[id]?.detail).toMatch(detail);
  });

  it('still reads the stored objects with versioning suspended (they stay protected)', () => {
    expect(results['s3-objects-protected']).toMatchObject({ status: 'PASS' });
  });

  it('names every resource, failing or not, by its ARN (the stack-wide controls: "stack S"), and no fix names a template placeholder', () => {
    for (const r of Object.values(results)) {
      expect(r.resource, r.id).toMatch(new RegExp(`^(arn:aws:[a-z0-9-]+:[^,]*(, arn:aws:[^,]+)*|stack ${stack})$`));
      expect(r.remediation, r.id).not.toMatch(/\bS-|\bKEY\b|\bID\b|\bUSER\b/);
    }
  });

  it('exits 3, and never shows the secret it found', () => {
    expect(code).toBe(3);
    expect(JSON.stringify(results)).not.toContain('b6907d289e10d714a6e88b30761fae22');
    expect(JSON.stringify(results)).not.toContain(TEST_SOURCE_KEY);
  });

  it('gives SARIF 2.1.0 that validates against the schema: one rule per control, one result per failure, stable fingerprints', async () => {
    const first = await runCli(['audit', '--stack', stack, '--format', 'sarif', '--sarif-location', 'README.md']);
    const second = await runCli(['audit', '--stack', stack, '--format', 'sarif', '--sarif-location', 'README.md']);
    expect(first.code).toBe(3);
    const sarif = JSON.parse(first.stdout);
    const require = createRequire(import.meta.url);
    const schema = require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
    // The schema is draft-04; its language pattern is not valid as a unicode RegExp, hence unicodeRegExp: false.
    const Ajv = require('ajv-draft-04') as new (options: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown } };
    const validate = new Ajv({ strict: false, validateFormats: false, unicodeRegExp: false }).compile(schema);
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    const run = sarif.runs[0];
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(CONTROLS.map((c) => c.id));
    expect(run.results).toHaveLength(Object.keys(expected).length);
    const rule = run.tool.driver.rules.find((r: { id: string }) => r.id === 'api-auth-required');
    expect(rule.properties['security-severity']).toBe('9.5');
    expect(rule.properties.tags).toContain('security');
    const result = run.results.find((r: { ruleId: string }) => r.ruleId === 's3-policy');
    // The user's file for GitHub, and the live bucket: never a file of bridge's own sources.
    expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe('README.md');
    expect(result.locations[0].logicalLocations[0]).toEqual({ name: 'bucket', fullyQualifiedName: `arn:aws:s3:::${Bucket}`, kind: 'resource' });
    expect(run.invocations[0].executionSuccessful).toBe(true);
    expect(result.message.text).toContain(Bucket);
    expect(JSON.parse(second.stdout).runs[0].results.map((r: { partialFingerprints: unknown }) => r.partialFingerprints)).toEqual(
      run.results.map((r: { partialFingerprints: unknown }) => r.partialFingerprints),
    );
  });

  it('gives Markdown for a pull request, failures first', async () => {
    const run = await runCli(['audit', '--stack', stack, '--format', 'markdown']);
    expect(run.stdout).toMatch(/^## bridge audit: `auditcheck` in us-east-1/m);
    expect(run.stdout.split('\n').find((l) => l.startsWith('| ❌'))).toBeDefined();
    expect(run.stdout.indexOf('| ❌')).toBeLessThan(run.stdout.indexOf('| ✅'));
  });

  it('--fail-on critical still fails (critical controls fail); --output-file writes the report to a file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bridge-report-')), 'audit.json');
    const run = await runCli(['audit', '--stack', stack, '--format', 'json', '--output-file', file, '--fail-on', 'critical']);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(JSON.parse(readFileSync(file, 'utf8')).summary.fail).toBe(Object.keys(expected).length);
  });

  it('writes table, SARIF, Markdown and JSON from one audit, the JSON valid by its published schema', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'bridge-reports-')), 'reports');
    const run = await runCli(['audit', '--stack', stack, '--format', 'table,sarif,markdown,json', '--output-dir', folder, '--sarif-location', 'README.md']);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr.match(/^wrote (table|sarif|markdown|json) to /gm)).toHaveLength(4);
    const json = JSON.parse(readFileSync(join(folder, 'bridge-audit.json'), 'utf8'));
    const sarif = JSON.parse(readFileSync(join(folder, 'bridge-audit.sarif'), 'utf8'));
    const require = createRequire(import.meta.url);
    const Ajv = require('ajv') as new (options: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown } };
    const validate = new Ajv({ strict: true, validateFormats: false }).compile(JSON.parse(readFileSync(new URL('../../schema/audit-report.schema.json', import.meta.url), 'utf8')));
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    // One reading, four renderings: the same failures in each.
    expect(sarif.runs[0].results).toHaveLength(json.summary.fail);
    expect(readFileSync(join(folder, 'bridge-audit.md'), 'utf8')).toContain(`**${json.summary.fail} failed**`);
    const table = readFileSync(join(folder, 'bridge-audit.txt'), 'utf8');
    expect(table).toMatch(new RegExp(`${json.summary.fail} failed`));
    expect(table).not.toContain('\u001b[');
  });

  it.skipIf(!browserAvailable())('writes one self-contained HTML page that a real browser shows failures first, with evidence as a diff, fixes and framework links', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bridge-html-')), 'audit.html');
    const run = await runCli(['audit', '--stack', stack, '--format', 'html', '--output-file', file]);
    expect(run.code).toBe(3);
    const html = readFileSync(file, 'utf8');
    // Never a secret: the function's environment holds one after the drift.
    expect(html).not.toContain('b6907d289e10d714a6e88b30761fae22');
    expect(html).not.toContain(TEST_SOURCE_KEY);

    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(pathToFileURL(file).href);
      // The page as rendered: failures first, most severe first, one article per failure.
      const articles = await page.locator('main article.result').evaluateAll((nodes) => nodes.map((n) => ({ status: n.getAttribute('data-status'), severity: n.getAttribute('data-severity'), id: n.id })));
      const failing = articles.filter((a) => a.status === 'FAIL');
      expect(failing).toHaveLength(Object.keys(expected).length);
      expect(articles.slice(0, failing.length).every((a) => a.status === 'FAIL')).toBe(true);
      const rank = ['critical', 'high', 'medium', 'low', 'info'];
      const ranks = failing.map((a) => rank.indexOf(a.severity ?? ''));
      expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
      expect(await page.title()).toBe(`bridge audit: ${stack} in us-east-1: ${failing.length} failed`);
      expect(await page.locator('header .closing').innerText()).toMatch(/^Failed \(\d+\): critical \d+, high \d+, medium \d+/);

      // The bucket policy's evidence: the tutorial's statement is only live, TLS-only only intended.
      const policy = page.locator('#control-s3-policy');
      await expect.poll(() => policy.locator('figure.evidence').isVisible()).toBe(true);
      const live = await policy.locator('.line.live').allInnerTexts();
      const intendedLines = await policy.locator('.line.intended').allInnerTexts();
      expect(live.join('\n')).toContain('"Action": "s3:GetObject"');
      expect(intendedLines.join('\n')).toContain('"aws:SecureTransport": "false"');
      expect(await policy.locator('.fix').innerText()).toContain('templates/bucket-policy.json');
      const link = policy.locator('.frameworks a').first();
      expect(await link.innerText()).toBe('Security Hub S3.2');
      expect(await link.getAttribute('href')).toBe('https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-2');
      // Passing controls are folded until opened.
      const passed = page.locator('#passed li').first();
      expect(await passed.isVisible()).toBe(false);
      await page.locator('#passed summary').click();
      expect(await passed.isVisible()).toBe(true);
      // Self-contained and inert: nothing but the file itself was requested, and no script is there.
      expect(requests).toEqual([pathToFileURL(file).href]);
      expect(await page.locator('script').count()).toBe(0);
      // For people to look at: the CI run keeps it (test-artifacts/, not committed).
      mkdirSync(ARTIFACTS, { recursive: true });
      const shot = join(ARTIFACTS, `audit-report-node${process.versions.node.split('.')[0]}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('--mutelist keeps an accepted finding in the report as MUTED with its reason; the rest still fail', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bridge-mutes-')), 'mutes.json');
    writeFileSync(file, JSON.stringify({ mutes: [{ control: 'api-tracing', resource: '*', reason: 'X-Ray is off in this account by decision SEC-42', expires: '2099-12-31' }] }));
    const { code, report } = await audit(['--mutelist', file]);
    expect(byId(report.results)['api-tracing']).toMatchObject({ status: 'MUTED', mute: { reason: 'X-Ray is off in this account by decision SEC-42', expires: '2099-12-31' } });
    expect(report.summary.muted).toBe(1);
    expect(report.summary.fail).toBe(Object.keys(expected).length - 1);
    expect(code).toBe(3);
  });

  it('--controls judges only the named controls, and the exit code follows them', async () => {
    const { code, report } = await audit(['--controls', 's3-objects-protected,kms-key-enabled']);
    expect(report.results.map((r) => r.id).sort()).toEqual(['kms-key-enabled', 's3-objects-protected']);
    expect(code).toBe((report.summary.fail ?? 0) > 0 ? 3 : 0);
  });

  it('--fix --dry-run shows the plan, per resource and field, and changes nothing', async () => {
    const run = await runCli(['audit', '--stack', stack, '--fix', '--dry-run']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^Plan to fix \(\d+ resources\):$/m);
    expect(run.stderr).toMatch(/^~ S3 bucket +\S+ +update$/m);
    expect(run.stderr).toMatch(/^ {4}versioning: Suspended -> Enabled$/m);
    expect(run.stderr).toContain('--dry-run: nothing was changed');
    expect(run.stderr).not.toContain('After:');
    expect(byId((await audit()).report.results)['s3-versioning']?.status).toBe('FAIL');
  });

  it('--fix without a terminal to confirm in needs --yes: exit 2 and nothing changed', async () => {
    const run = await runCli(['audit', '--stack', stack, '--fix']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/audit --fix changes the stack: without a terminal to confirm in, pass --yes/);
    expect(byId((await audit()).report.results)['s3-versioning']?.status).toBe('FAIL');
  });

  /** audit --fix on a terminal that types `answer` when asked, as a person would. */
  async function fixOnTerminal(answer: string) {
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    stderr.on('data', (chunk: Buffer) => {
      const first = !/Only "yes" is accepted/.test(err);
      err += chunk.toString();
      if (first && /Only "yes" is accepted/.test(err)) stdin.write(`${answer}\n`);
    });
    const io: Io = { stdin: stdin as unknown as NodeJS.ReadStream, stdout, stderr, env: process.env };
    const code = await main(['node', 'bridge', 'audit', '--stack', stack, '--fix', '--json'], io);
    return { code, stdout: out, stderr: err };
  }

  it('--fix on a terminal shows the plan and asks: anything but "yes" changes nothing, exit 2', async () => {
    const run = await fixOnTerminal('y');
    expect(run.stderr).toMatch(/Plan to fix/);
    expect(run.stderr).toContain('not confirmed: nothing was changed');
    expect(run.code).toBe(2);
    expect(byId((await audit()).report.results)['s3-versioning']?.status).toBe('FAIL');
  });

  it('--fix confirmed with "yes" puts everything back through setup, shows before and after, and the audit passes', async () => {
    const run = await fixOnTerminal('yes');
    expect(run.stderr).toMatch(/Before: \d+ passed, 33 failed/);
    expect(run.stderr).toMatch(/After: \d+ passed, 0 failed, 0 errors\./);
    expect(run.code, run.stderr).toBe(0);
    const after = JSON.parse(run.stdout);
    expect(after.summary.fail).toBe(0);
    const again = await audit();
    expect(again.code).toBe(0);
  });
});

describe('what --fix cannot mend', () => {
  it('an object stored outside the function (AES256, no checksum) fails s3-objects-protected and stays failing', async () => {
    await aws.s3.send(new PutObjectCommand({ Bucket, Key: 'raw/2099/01/01/manual-upload.json', Body: '{}', ServerSideEncryption: 'AES256' }));
    const { code, report } = await audit(['--fail-on', 'high']);
    const result = byId(report.results)['s3-objects-protected'];
    expect(result?.status).toBe('FAIL');
    expect(result?.detail).toMatch(/raw\/2099\/01\/01\/manual-upload\.json: encrypted AES256, no SHA-256 checksum/);
    expect(code).toBe(3);
    const fixed = await runCli(['audit', '--stack', stack, '--fix', '--yes']);
    expect(fixed.code).toBe(3);
    expect(fixed.stderr).toMatch(/not fixed: s3-objects-protected: setup does not repair this; /);
    expect(fixed.stderr).toContain('Nothing --fix can change.');
    // --fail-on above its severity: not a failure for CI.
    expect((await audit(['--fail-on', 'critical'])).code).toBe(0);
  });
});

describe('bad input', () => {
  it.each([
    [['audit', '--format', 'csv'], /invalid --format 'csv': use table, json, sarif, markdown, html/],
    [['audit', '--fail-on', 'info'], /invalid --fail-on 'info'/],
    [['audit', '--json', '--format', 'sarif'], /--json and --format sarif disagree/],
    [['audit', '--dry-run'], /--dry-run goes with --fix/],
    [['audit', '--output-file', 'json'], /--output-file json: that is a format, not a file; use --format json/],
    [['audit', '--controls', 'no-such-control'], /--controls: no control 'no-such-control'/],
    [['audit', '--mutelist', '/nonexistent/mutes.json'], /--mutelist \/nonexistent\/mutes.json cannot be read/],
  ])('%j exits 2', async (args, message) => {
    const run = await runCli([...args, '--stack', stack]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('a resource of the stack that is gone is setup\'s to make: --fix says so, exit 2, and creates nothing', async () => {
    await aws.logs.send(new DeleteLogGroupCommand({ logGroupName: `/aws/apigateway/${stack}-api` }));
    const run = await runCli(['audit', '--stack', stack, '--fix', '--yes']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`--fix puts back what drifted and creates nothing, but API access log group /aws/apigateway/${stack}-api does not exist in us-east-1: run bridge setup`));
    const groups = await aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/aws/apigateway/${stack}-api` }));
    expect(groups.logGroups ?? []).toEqual([]);
    // A stack that is not in this region at all: the same, never half a stack built.
    const elsewhere = await runCli(['audit', '--stack', stack, '--region', 'eu-west-3', '--fix', '--yes']);
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toMatch(/stack \S+ was not found in eu-west-3/);
  });

  it('a stack that does not exist: exit 1 saying so', async () => {
    const run = await runCli(['audit', '--stack', 'nosuchstack']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/stack nosuchstack was not found in us-east-1.*run bridge setup first/);
  });
});
