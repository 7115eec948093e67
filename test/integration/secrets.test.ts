/**
 * The whole lifecycle with all three secrets bridge handles: the source API key, the API Gateway
 * key it writes to --api-key-file, and the operator's access key it writes to
 * --operator-access-key-file. None of them may appear in anything bridge prints (stdout, stderr,
 * JSON, --verbose's call log, errors), in any audit format, in what the function logs or stores, or
 * in the function's configuration; in plain form or in the encodings they travel in.
 *
 * `invoke --via-api` cannot reach a function on the local AWS (it says so, exit 2): its run here
 * proves only that the refusal prints no key; the request it signs is covered by the SigV4 tests.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeLogGroupsCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { GetObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { startSampleSource, type SampleSource } from '../../src/local/sample-source.js';
import { LOCAL_ACCOUNT, localClients, resetLocal, runCli, type CliRun } from '../support/helpers.js';

const stack = 'secretive';
const aws = localClients();
const folder = mkdtempSync(join(tmpdir(), 'bridge-secrets-'));
const apiKeyFile = join(folder, 'api-key');
const accessKeyFile = join(folder, 'operator-credentials');
const sourceKey = `src-${randomBytes(12).toString('hex')}`;
const env = { SOURCE_KEY: sourceKey };
let source: SampleSource;
const seen: { what: string; text: string }[] = [];

async function bridge(what: string, args: string[], expectCode = 0): Promise<CliRun> {
  const run = await runCli(args, { env });
  seen.push({ what: `${what} (stdout)`, text: run.stdout }, { what: `${what} (stderr)`, text: run.stderr });
  expect(run.code, `${what}: ${run.stderr}`).toBe(expectCode);
  return run;
}

/** A secret and the forms it travels in (a query string, a header's base64, JSON). */
function forms(secret: string): string[] {
  return [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64'), JSON.stringify(secret).slice(1, -1)];
}

beforeAll(async () => {
  await resetLocal();
  source = await startSampleSource({ apiKey: sourceKey, keyIn: { in: 'query', name: 'appid' } });
});

afterAll(async () => {
  await source?.stop();
});

describe('a lifecycle with every secret bridge handles', () => {
  let secrets: { name: string; value: string }[] = [];

  it('runs: setup, invoke, audit in every format, a dry run and teardown', async () => {
    const setupArgs = ['--stack', stack, '--source-url', source.weatherUrl, '--source-key-in', 'query:appid', '--api-auth', 'api-key', '--api-key-file', apiKeyFile, '--operator-access-key-file', accessKeyFile, '--configure-account-logging'];
    await bridge('setup', ['setup', ...setupArgs, '--api-key-env', 'SOURCE_KEY', '--verbose']);
    await bridge('setup --json', ['setup', ...setupArgs, '--json', '--verbose']);

    const apiKeyValue = readFileSync(apiKeyFile, 'utf8').trim();
    const secretAccessKey = /aws_secret_access_key = (\S+)/.exec(readFileSync(accessKeyFile, 'utf8'))?.[1] as string;
    secrets = [
      { name: 'the source API key', value: sourceKey },
      { name: "the API's key", value: apiKeyValue },
      { name: "the operator's secret access key", value: secretAccessKey },
    ];
    expect(apiKeyValue.length).toBeGreaterThanOrEqual(20);
    expect(secretAccessKey.length).toBeGreaterThanOrEqual(20);
    for (const file of [apiKeyFile, accessKeyFile]) expect(statSync(file).mode & 0o777, file).toBe(0o600);

    await bridge('invoke --local', ['invoke', '--stack', stack, '--local', '--tail', '--verbose']);
    await bridge('invoke --local --json', ['invoke', '--stack', stack, '--local', '--json']);
    expect(source.requests.length).toBeGreaterThanOrEqual(2);
    // Refused on the local AWS, without a key in the refusal.
    await bridge('invoke --via-api', ['invoke', '--stack', stack, '--via-api', '--api-key-file', apiKeyFile, '--verbose'], 2);

    for (const format of ['table', 'json', 'sarif', 'markdown']) {
      const file = join(folder, `report.${format}`);
      const run = await bridge(`audit --format ${format}`, ['audit', '--stack', stack, '--format', format, '--verbose']);
      expect(run.stdout.length).toBeGreaterThan(100);
      await bridge(`audit --format ${format} --output-file`, ['audit', '--stack', stack, '--format', format, '--output-file', file]);
      seen.push({ what: `audit report file (${format})`, text: readFileSync(file, 'utf8') });
    }
    await bridge('setup --dry-run', ['setup', ...setupArgs, '--dry-run', '--json', '--verbose']);
    // A failure's words: a source that refuses the key (the key must not be echoed in the error).
    await bridge('setup with a wrong placement', ['setup', ...setupArgs, '--source-key-in', 'header:X-Key', '--api-key-env', 'SOURCE_KEY']);
    await bridge('invoke that fails', ['invoke', '--stack', stack, '--local', '--verbose'], 1);

    // What the function logged and stored, and how it is configured.
    const groups = (await aws.logs.send(new DescribeLogGroupsCommand({}))).logGroups ?? [];
    for (const group of groups.filter((g) => g.logGroupName?.includes(stack))) {
      const events = (await aws.logs.send(new FilterLogEventsCommand({ logGroupName: group.logGroupName }))).events ?? [];
      seen.push({ what: `log group ${group.logGroupName}`, text: events.map((e) => e.message).join('\n') });
    }
    const Bucket = `${stack}-${LOCAL_ACCOUNT}-us-east-1`;
    for (const version of (await aws.s3.send(new ListObjectVersionsCommand({ Bucket }))).Versions ?? []) {
      const object = await aws.s3.send(new GetObjectCommand({ Bucket, Key: version.Key, VersionId: version.VersionId }));
      seen.push({ what: `object ${version.Key}`, text: (await object.Body?.transformToString()) ?? '' });
    }
    const configuration = await aws.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: `${stack}-ingest` }));
    seen.push({ what: "the function's configuration", text: JSON.stringify(configuration) });

    await bridge('teardown', ['teardown', '--stack', stack, '--delete-data', '--yes', '--verbose']);
    await bridge('teardown --json', ['teardown', '--stack', stack, '--delete-data', '--yes', '--json']);
  }, 180_000);

  it('never shows any of them, anywhere', () => {
    expect(secrets).toHaveLength(3);
    expect(seen.length).toBeGreaterThan(30);
    // What the function stored and logged was looked at, not only what bridge printed.
    expect(seen.filter((s) => s.what.startsWith('object ')).length).toBeGreaterThanOrEqual(2);
    expect(seen.some((s) => s.what.startsWith(`log group /aws/lambda/${stack}-ingest`) && s.text.length > 0)).toBe(true);
    const leaks = seen.flatMap((s) => secrets.filter((secret) => forms(secret.value).some((form) => s.text.includes(form))).map((secret) => `${secret.name} in ${s.what}`));
    expect(leaks).toEqual([]);
  });
});
