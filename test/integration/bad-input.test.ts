/**
 * Bad input and hostile environments, table-driven: each case gets one clear line naming the
 * problem (and, where there is one, the fix), the right exit code, no stack trace, nothing secret
 * echoed, and no mutating call reaching the endpoint (the loopback proxy's log is the witness).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMutatingRequest, startAwsProxy, type AwsProxy } from '../support/aws-proxy.js';
import { TEST_SOURCE_KEY, resetLocal, runCli } from '../support/helpers.js';

let proxy: AwsProxy;
const dir = mkdtempSync(join(tmpdir(), 'bridge-bad-'));
const SECRET_IN_FILE = 'sk-live-9c1f4e2a7b';

beforeAll(async () => {
  await resetLocal();
  proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL as string);
  writeFileSync(join(dir, 'broken.json'), `{"stack": "weather", "apiKey": "${SECRET_IN_FILE}"`);
  writeFileSync(join(dir, 'holds-key.json'), JSON.stringify({ stack: 'weather', sourceUrl: 'https://api.example.com/v1/data', apiKey: SECRET_IN_FILE }));
  mkdirSync(join(dir, 'a-folder'));
  writeFileSync(join(dir, 'existing-key-file'), 'someone else\n');
});

afterAll(async () => {
  await proxy?.close();
});

const URL_OK = 'https://api.example.com/v1/data';
const setup = (...extra: string[]) => ['setup', '--stack', 'weather', '--source-url', URL_OK, '--api-key-env', 'TEST_SOURCE_KEY', ...extra];
const withStack = (stack: string, ...extra: string[]) => ['setup', '--stack', stack, '--source-url', URL_OK, '--api-key-env', 'TEST_SOURCE_KEY', ...extra];

const mutating = (seen: string) => isMutatingRequest({ operation: seen.slice(seen.indexOf(':') + 1) });

interface Case {
  name: string;
  args: string[];
  env?: Record<string, string | undefined>;
  code: number;
  /** What the one line must say. */
  says: RegExp;
  /** Not through the proxy: the case names its own endpoint. */
  direct?: boolean;
}

const cases: Case[] = [
  { name: 'an uppercase stack name', args: withStack('Weather'), code: 2, says: /stack name 'Weather'/ },
  { name: 'a stack name too long', args: withStack('w'.repeat(40)), code: 2, says: /stack name/ },
  { name: 'a unicode stack name', args: withStack('wéather'), code: 2, says: /stack name/ },
  { name: 'a path in the stack name', args: withStack('../etc'), code: 2, says: /stack name/ },
  { name: 'a stack name SSM reserves (aws...)', args: withStack('aws-data'), code: 2, says: /aws|ssm/i },
  { name: 'a stack name SSM reserves (ssm...)', args: withStack('ssm-data'), code: 2, says: /aws|ssm/i },
  { name: 'a stack name S3 refuses (xn--...)', args: withStack('xn--data'), code: 2, says: /xn--/ },
  { name: 'a bucket name with uppercase and underscores', args: setup('--bucket', 'Bad_Bucket'), code: 2, says: /--bucket 'Bad_Bucket'/ },
  { name: 'a bucket name shaped like an IP address', args: setup('--bucket', '192.168.1.10'), code: 2, says: /--bucket '192\.168\.1\.10'/ },
  { name: 'an unknown region', args: [...setup(), '--region', 'eu-west-9'], code: 2, says: /region 'eu-west-9'/ },
  { name: 'a region with a space', args: [...setup(), '--region', 'us east'], code: 2, says: /region/ },
  { name: 'a source URL that is not http(s)', args: ['setup', '--stack', 'weather', '--source-url', 'ftp://api.example.com/x', '--api-key-env', 'TEST_SOURCE_KEY'], code: 2, says: /source URL|--source-url/ },
  { name: 'a source URL with no host', args: ['setup', '--stack', 'weather', '--source-url', 'https:///path', '--api-key-env', 'TEST_SOURCE_KEY'], code: 2, says: /source URL|--source-url/ },
  { name: 'a 10,000-character source URL', args: ['setup', '--stack', 'weather', '--source-url', `https://api.example.com/${'a'.repeat(10_000)}`, '--api-key-env', 'TEST_SOURCE_KEY'], code: 2, says: /source URL|--source-url/ },
  { name: 'plain http to a public host', args: ['setup', '--stack', 'weather', '--source-url', 'http://api.example.com/x', '--api-key-env', 'TEST_SOURCE_KEY'], code: 2, says: /https/ },
  { name: 'a user and password in the source URL', args: ['setup', '--stack', 'weather', '--source-url', 'https://user:hunter2@api.example.com/x', '--api-key-env', 'TEST_SOURCE_KEY'], code: 2, says: /credentials|password|user/i },
  { name: 'a token in the source URL query', args: ['setup', '--stack', 'weather', '--source-url', 'https://api.example.com/x?api_token=abc123', '--api-key-env', 'TEST_SOURCE_KEY'], code: 2, says: /api_token/ },
  { name: 'a client secret in the source URL query', args: ['setup', '--stack', 'weather', '--source-url', 'https://api.example.com/x?client_secret=abc123', '--api-key-env', 'TEST_SOURCE_KEY'], code: 2, says: /client_secret/ },
  { name: 'the key placed in the Host header', args: setup('--source-key-in', 'header:Host'), code: 2, says: /Host/ },
  { name: 'an unknown key placement', args: setup('--source-key-in', 'cookie:session'), code: 2, says: /--source-key-in/ },
  { name: 'a function timeout of 0', args: setup('--function-timeout', '0'), code: 2, says: /function timeout '0'/ },
  { name: 'a function timeout past API Gateway (901)', args: setup('--function-timeout', '901'), code: 2, says: /function timeout '901'/ },
  { name: 'memory that is not a number', args: setup('--function-memory', 'lots'), code: 2, says: /function memory 'lots'/ },
  { name: 'a negative reserved concurrency', args: setup('--reserved-concurrency', '-1'), code: 2, says: /reserved concurrency '-1'/ },
  { name: 'noncurrent days of 0', args: setup('--noncurrent-days', '0'), code: 2, says: /noncurrent version days '0'/ },
  { name: 'an unknown API auth mode', args: setup('--api-auth', 'none'), code: 2, says: /--api-auth/ },
  { name: 'a missing key (the variable is not set)', args: setup(), env: { TEST_SOURCE_KEY: undefined }, code: 2, says: /TEST_SOURCE_KEY/ },
  { name: 'an empty key', args: setup(), env: { TEST_SOURCE_KEY: '' }, code: 2, says: /TEST_SOURCE_KEY/ },
  { name: 'a config file that does not exist', args: ['setup', '--config', join(dir, 'nope.json')], code: 2, says: /nope\.json/ },
  { name: 'a config path that is a folder', args: ['setup', '--config', join(dir, 'a-folder')], code: 2, says: /a-folder/ },
  { name: 'a malformed config file', args: ['setup', '--config', join(dir, 'broken.json')], code: 2, says: /broken\.json/ },
  { name: 'a config file that holds the key', args: ['setup', '--config', join(dir, 'holds-key.json'), '--api-key-env', 'TEST_SOURCE_KEY'], code: 2, says: /apiKey|key/ },
  { name: 'an API key file in a missing folder', args: setup('--api-auth', 'api-key', '--api-key-file', join(dir, 'missing', 'key')), code: 2, says: /--api-key-file/ },
  { name: 'an operator key file that already exists', args: setup('--operator-access-key-file', join(dir, 'existing-key-file')), code: 2, says: /existing-key-file/ },
  { name: 'teardown with too few key-deletion days', args: ['teardown', '--stack', 'weather', '--delete-data', '--key-deletion-days', '3', '--yes'], code: 2, says: /--key-deletion-days/ },
  { name: 'an invoke payload that is not JSON', args: ['invoke', '--stack', 'weather', '--payload', '{not json'], code: 2, says: /--payload/ },
  { name: 'an unknown audit format', args: ['audit', '--stack', 'weather', '--format', 'xml'], code: 2, says: /--format/ },
  { name: 'an audit report into a missing folder', args: ['audit', '--stack', 'weather', '--output-file', join(dir, 'missing', 'report.json')], code: 2, says: /--output-file/ },
  { name: 'teardown of a stack that has no resource at all', args: ['teardown', '--stack', 'neverwas', '--yes'], code: 2, says: /no resource of stack neverwas exists in us-east-1 \(account 123456789012\): nothing to remove; check --stack and --region/ },
  { name: 'an endpoint nobody answers on', args: ['audit', '--stack', 'weather', '--endpoint-url', 'http://127.0.0.1:9'], direct: true, code: 2, says: /127\.0\.0\.1:9/ },
  { name: 'an unknown command', args: ['destroy', '--stack', 'weather'], code: 2, says: /destroy/ },
  { name: 'an unknown option', args: ['setup', '--stak', 'weather'], code: 2, says: /--stak/ },
];

describe('bad input: one clear line, the right exit code, and no change made', () => {
  it.each(cases)('$name', async (c) => {
    proxy.seen.length = 0;
    const run = await runCli(c.direct ? c.args : [...c.args, '--endpoint-url', proxy.endpoint], { env: { TEST_SOURCE_KEY, ...c.env } });
    expect(run.code, run.stderr).toBe(c.code);
    const lines = run.stderr.trim().split('\n').filter((l) => l.trim() !== '');
    const error = lines.find((l) => /^error:/.test(l)) ?? lines.join(' | ');
    expect(error).toMatch(c.says);
    expect(run.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(run.stderr + run.stdout).not.toContain(SECRET_IN_FILE);
    expect(run.stderr + run.stdout).not.toContain(TEST_SOURCE_KEY);
    expect(proxy.seen.filter(mutating)).toEqual([]);
  });

  it('holds at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });
});
