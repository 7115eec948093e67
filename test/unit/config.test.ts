import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bucketNameProblem,
  configFileSettings,
  defaultKeyPlacement,
  envSettings,
  jsonErrorPlace,
  loadConfigFile,
  mergeSettings,
  parseKeyPlacement,
  resolveConfig,
  validateEndpointUrl,
  validatePrefix,
  validateRegion,
  validateRetentionDays,
  looksLikeCredentialName,
  validateSecretFile,
  validateSourceUrl,
  validateStackName,
} from '../../src/config.js';
import { UsageError } from '../../src/errors.js';

describe('stack name', () => {
  it.each(['databridge', 'abc', 'a-1-b', 'a'.repeat(31)])('accepts %s', (name) => expect(validateStackName(name)).toBe(name));
  it.each(['ab', 'Data', '1abc', 'a_b', 'a'.repeat(32), '-abc', 'ab c'])('refuses %s with the rule and an example', (name) => {
    expect(() => validateStackName(name)).toThrow(/3 to 31 characters.*--stack databridge/);
  });
});

describe('region', () => {
  it.each(['us-east-1', 'eu-west-2', 'ap-southeast-4', 'us-gov-west-1', 'cn-north-1', 'il-central-1'])('accepts %s', (r) => expect(validateRegion(r)).toBe(r));
  it.each(['useast1', 'US-EAST-1', 'us-east', 'mars-1', ''])('refuses %s', (r) => expect(() => validateRegion(r)).toThrow(UsageError));
  it.each(['us-isob-east-1', 'us-iso-east-1', 'eu-isoe-west-1', 'eusc-de-east-1', 'cn-northwest-1'])('accepts the partition region %s', (r) => expect(validateRegion(r)).toBe(r));
  it.each(['eu-west-9', 'cn-north-7', 'us-gov-central-1'])('refuses %s, which only looks like a region, naming it unknown', (r) => {
    expect(() => validateRegion(r)).toThrow(/unknown region/);
  });
});

describe('names derived from the stack name', () => {
  it.each([
    ['awsdata', /SSM refuses parameter names beginning with 'aws' or 'ssm'/],
    ['ssm-bridge', /SSM refuses/],
    ['xn--bridge', /bucket name derived from it.*'xn--'/],
    ['sthree-data', /bucket name derived from it.*'sthree-'/],
    ['amzn-s3-demo-x', /bucket name derived from it.*'amzn-s3-demo-'/],
  ])('refuses %s before any call (exit 2)', (stack, message) => {
    const error = (() => {
      try {
        resolveConfig({ stack, region: 'us-east-1' });
      } catch (e) {
        return e as UsageError;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect(error?.exitCode).toBe(2);
    expect(error?.message).toMatch(message);
  });

  it('lets --bucket stand in for a derived bucket name S3 would refuse', () => {
    expect(resolveConfig({ stack: 'xn--bridge', region: 'us-east-1', bucket: 'my-data' }).stack).toBe('xn--bridge');
  });
});

describe('bucket name rules', () => {
  it.each(['my-bucket', 'a.b.c', '123', 'databridge-123456789012-us-east-1'])('accepts %s', (n) => expect(bucketNameProblem(n)).toBeUndefined());
  it.each([
    ['ab', /3 to 63/],
    ['a'.repeat(64), /3 to 63/],
    ['My-Bucket', /lowercase/],
    ['my_bucket', /lowercase/],
    ['-bucket', /start and end/],
    ['bucket.', /start and end/],
    ['a..b', /adjacent dots/],
    ['192.168.1.1', /IP address/],
    ['xn--bucket', /xn--/],
    ['sthree-bucket', /sthree-/],
    ['bucket-s3alias', /-s3alias/],
    ['bucket--ol-s3', /--ol-s3/],
    ['bucket--x-s3', /--x-s3/],
  ])('refuses %s', (name, problem) => expect(bucketNameProblem(name)).toMatch(problem));
});

describe('data prefix', () => {
  it.each(['raw/', 'data/raw/', 'weather-2026/'])('accepts %s', (p) => expect(validatePrefix(p)).toBe(p));
  it.each(['raw', '/raw/', 'raw//x/', '../raw/', 'a/./b/', 'raw /', ''])('refuses %j', (p) => expect(() => validatePrefix(p)).toThrow(/invalid data prefix/));
});

describe('retention days', () => {
  it('accepts the values CloudWatch Logs knows', () => expect(validateRetentionDays('365')).toBe(365));
  it.each(['366', '0', '-1', '7.5', 'week'])('refuses %s and lists the allowed ones', (d) => expect(() => validateRetentionDays(d)).toThrow(/1, 3, 5, 7, 14/));
});

describe('endpoint URL', () => {
  it('keeps only the origin', () => expect(validateEndpointUrl('http://127.0.0.1:4566/')).toBe('http://127.0.0.1:4566'));
  it.each(['127.0.0.1:4566', 'ftp://x', 'http://u:p@127.0.0.1:1', 'http://127.0.0.1:1/path'])('refuses %s', (u) => expect(() => validateEndpointUrl(u)).toThrow(UsageError));
});

describe('source URL', () => {
  it('accepts https and keeps ordinary query parameters', () => {
    expect(validateSourceUrl('https://api.openweathermap.org/data/2.5/weather?q=London&units=metric')).toBe(
      'https://api.openweathermap.org/data/2.5/weather?q=London&units=metric',
    );
  });
  it.each(['http://127.0.0.1:8080/weather', 'http://localhost:8080/x', 'http://[::1]:8080/x'])('accepts plain http to loopback: %s', (u) => {
    expect(() => validateSourceUrl(u)).not.toThrow();
  });
  it('refuses plain http elsewhere', () => expect(() => validateSourceUrl('http://api.openweathermap.org/x')).toThrow(/only to loopback; use https/));
  it.each(['appid', 'api_key', 'apikey', 'token', 'KEY', 'api_token', 'client_secret', 'access_key', 'x-api-key', 'password', 'pwd', 'sig', 'signature', 'auth'])('refuses a URL carrying a credential in %s, without echoing it', (name) => {
    let message = '';
    try {
      validateSourceUrl(`https://api.example.com/x?${name}=s3cr3tvalue`);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/looks like a credential/);
    expect(message).not.toContain('s3cr3tvalue');
  });
  it.each(['q', 'units', 'lang', 'keyword', 'monkey', 'page_token_count'])('keeps an ordinary parameter such as %s', (name) => {
    expect(looksLikeCredentialName(name)).toBe(false);
  });
  it('refuses a URL with no host (WHATWG would read https:///path as host "path") and one past 2048 characters', () => {
    expect(() => validateSourceUrl('https:///path?token=abc')).toThrow(/no host after '\/\/'/);
    expect(() => validateSourceUrl('https:///path?token=abc')).not.toThrow(/abc/);
    expect(() => validateSourceUrl(`https://api.example.com/${'a'.repeat(2100)}`)).toThrow(/more than 2048/);
  });
  it('refuses credentials in the authority, without echoing them', () => {
    expect(() => validateSourceUrl('https://user:pw@api.example.com/')).toThrow(/must not carry credentials/);
  });
});

describe('key placement', () => {
  it('parses query and header', () => {
    expect(parseKeyPlacement('query:appid')).toEqual({ in: 'query', name: 'appid' });
    expect(parseKeyPlacement('header:Authorization')).toEqual({ in: 'header', name: 'Authorization' });
  });
  it.each(['appid', 'body:x', 'query:', 'header:a b'])('refuses %s', (v) => expect(() => parseKeyPlacement(v)).toThrow(/query:NAME/));
  it.each(['Host', 'content-length', 'Connection', 'Transfer-Encoding'])('refuses the HTTP-owned header %s', (h) => expect(() => parseKeyPlacement(`header:${h}`)).toThrow(/header HTTP itself sets/));
});

describe('files bridge writes secrets into', () => {
  const folder = mkdtempSync(join(tmpdir(), 'bridge-secret-'));
  const bridgeWrote = (text: string) => text.startsWith('# Written by bridge');

  it('takes a new path in an existing folder', () => {
    expect(validateSecretFile(join(folder, 'new'), '--x', bridgeWrote, false)).toBe(join(folder, 'new'));
  });
  it("never replaces a file bridge did not write (a credentials file with other profiles), unless --force", () => {
    const credentials = join(folder, 'credentials');
    writeFileSync(credentials, '[default]\naws_access_key_id = AKIAOTHER\n');
    expect(() => validateSecretFile(credentials, '--operator-access-key-file', bridgeWrote, false)).toThrow(/exists and was not written by bridge: it is never replaced/);
    expect(validateSecretFile(credentials, '--operator-access-key-file', bridgeWrote, true)).toBe(credentials);
  });
  it('accepts its own file again (a re-run keeps it), and refuses a symbolic link even with --force', () => {
    const own = join(folder, 'own');
    writeFileSync(own, '# Written by bridge setup for IAM user x.\n');
    expect(validateSecretFile(own, '--x', bridgeWrote, false)).toBe(own);
    const link = join(folder, 'link');
    symlinkSync(own, link);
    expect(() => validateSecretFile(link, '--x', bridgeWrote, true)).toThrow(/symbolic link/);
  });
});

describe('settings sources', () => {
  it('flags win over the environment, which wins over the file', () => {
    const merged = mergeSettings({ stack: 'fromfile', region: 'eu-west-1', bucket: 'file-bucket' }, envSettings({ AWS_REGION: 'eu-west-2' }), {
      stack: 'fromflag',
      region: undefined,
    });
    expect(merged).toEqual({ stack: 'fromflag', region: 'eu-west-2', bucket: 'file-bucket' });
  });

  it('AWS_REGION wins over AWS_DEFAULT_REGION, which is the fallback', () => {
    expect(envSettings({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' }).region).toBe('eu-west-1');
    expect(envSettings({ AWS_DEFAULT_REGION: 'us-west-2' }).region).toBe('us-west-2');
  });

  it('defaults: stack databridge, us-east-1, raw/, 365 days, 25 s (under API Gateway 29 s), 256 MB, concurrency 2 and throttling to match', () => {
    expect(resolveConfig({})).toEqual({
      stack: 'databridge',
      region: 'us-east-1',
      dataPrefix: 'raw/',
      noncurrentVersionDays: 365,
      logRetentionDays: 365,
      functionTimeoutSeconds: 25,
      functionMemoryMb: 256,
      reservedConcurrency: 2,
      source: {},
      api: { rateLimit: 2, burstLimit: 2, dailyQuota: 1000, configureAccountLogging: false },
    });
  });

  it('the key goes in ?appid= for OpenWeatherMap, in a bearer token elsewhere, unless told', () => {
    expect(defaultKeyPlacement('https://api.openweathermap.org/data/2.5/weather?q=London')).toEqual({ in: 'query', name: 'appid' });
    expect(defaultKeyPlacement('https://api.example.com/v1/data')).toEqual({ in: 'header', name: 'Authorization' });
    expect(defaultKeyPlacement('https://openweathermap.org.evil.example/x')).toEqual({ in: 'header', name: 'Authorization' });
    expect(resolveConfig({ sourceKeyIn: 'header:X-Api-Key' }).source.keyPlacement).toEqual({ in: 'header', name: 'X-Api-Key' });
  });

  it('offers aws-iam and api-key for the API, never NONE', () => {
    expect(resolveConfig({ apiAuth: 'api-key' }).api.auth).toBe('api-key');
    expect(() => resolveConfig({ apiAuth: 'NONE' })).toThrow(/an API without authorization is not offered; use aws-iam/);
    expect(() => resolveConfig({ apiAuth: 'cognito' })).toThrow(/invalid --api-auth 'cognito'/);
  });

  it.each([
    [{ apiBurstLimit: '0' }, /invalid API burst limit/],
    [{ functionTimeout: '0' }, /invalid function timeout '0': give a whole number from 3 to 900/],
    [{ functionMemory: '64' }, /invalid function memory '64'/],
    [{ reservedConcurrency: 'lots' }, /invalid reserved concurrency 'lots'/],
  ])('refuses function settings out of range: %j', (raw, message) => {
    expect(() => resolveConfig(raw)).toThrow(message);
  });

  it('reads bridge.config.json, refusing unknown keys and an API key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bridge-config-'));
    writeFileSync(join(dir, 'bridge.config.json'), JSON.stringify({ stack: 'weather', source: { url: 'https://x.example/y', keyIn: 'header:Authorization' } }));
    expect(loadConfigFile(undefined, dir)).toMatchObject({ stack: 'weather', sourceUrl: 'https://x.example/y', sourceKeyIn: 'header:Authorization' });
    expect(loadConfigFile(undefined, mkdtempSync(join(tmpdir(), 'none-')))).toEqual({});
    expect(() => configFileSettings({ stak: 'x' }, 'f')).toThrow(/unknown key 'stak'/);
    expect(() => configFileSettings({ apiKey: 'x' }, 'f')).toThrow(/must not hold the API key/);
    expect(() => configFileSettings({ source: { urll: 'x' } }, 'f')).toThrow(/unknown key 'source.urll'/);
    writeFileSync(join(dir, 'broken.json'), '{ nope');
    expect(() => loadConfigFile('broken.json', dir)).toThrow(/not valid JSON/);
  });
});

describe('the region from the profile (as the AWS CLI finds it)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-profile-'));
  const configFile = join(dir, 'config');
  writeFileSync(
    configFile,
    [
      '[default]',
      'region = eu-north-1',
      '[profile sandbox]',
      'region = eu-west-2',
      '[profile sso-dev]',
      'sso_session = corp',
      'sso_account_id = 111122223333',
      'sso_role_name = Admin',
      'region = ap-southeast-2',
      '[sso-session corp]',
      'sso_region = us-east-1',
      'sso_start_url = https://example.awsapps.com/start',
      '',
    ].join('\n'),
  );
  const env = { AWS_CONFIG_FILE: configFile, AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none') };

  it('takes the region of --profile, of AWS_PROFILE, of an SSO profile, or of [default]', async () => {
    const { configFrom } = await import('../../src/commands/options.js');
    expect((await configFrom({ profile: 'sandbox' }, {}, env)).region).toBe('eu-west-2');
    expect((await configFrom({}, {}, { ...env, AWS_PROFILE: 'sso-dev' })).region).toBe('ap-southeast-2');
    expect((await configFrom({}, {}, env)).region).toBe('eu-north-1');
  });

  it('lets --region and AWS_REGION / AWS_DEFAULT_REGION win over the profile', async () => {
    const { configFrom } = await import('../../src/commands/options.js');
    expect((await configFrom({ profile: 'sandbox', region: 'us-west-2' }, {}, env)).region).toBe('us-west-2');
    expect((await configFrom({ profile: 'sandbox' }, {}, { ...env, AWS_DEFAULT_REGION: 'ca-central-1' })).region).toBe('ca-central-1');
  });

  it('defaults to us-east-1 only when nothing names a region, and says so', async () => {
    const { configFrom } = await import('../../src/commands/options.js');
    const notes: string[] = [];
    const config = await configFrom({}, {}, { AWS_CONFIG_FILE: join(dir, 'absent'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none') }, (m) => notes.push(m));
    expect(config.region).toBe('us-east-1');
    expect(notes).toEqual([expect.stringMatching(/no region given .*using us-east-1/)]);
    const quiet: string[] = [];
    await configFrom({ profile: 'sandbox' }, {}, env, (m) => quiet.push(m));
    expect(quiet).toEqual([]);
  });
});

describe('reserved concurrency and throttling', () => {
  it('accepts none: no reservation, and the stage keeps its own defaults (10/s, burst 20)', () => {
    const config = resolveConfig({ reservedConcurrency: 'none' });
    expect(config.reservedConcurrency).toBeNull();
    expect(config.api).toMatchObject({ rateLimit: 10, burstLimit: 20 });
  });

  it('lets throttling given on its own win over the reservation', () => {
    expect(resolveConfig({ reservedConcurrency: '5', apiRateLimit: '50' }).api).toMatchObject({ rateLimit: 50, burstLimit: 5 });
  });

  it.each(['0', '-1', 'some', '1001'])('refuses %s, naming none as the way to have no reservation', (value) => {
    expect(() => resolveConfig({ reservedConcurrency: value })).toThrow(/or none for no reservation/);
  });
});

describe('a source that moves to another host', () => {
  it('is a move of host, not of port or path', async () => {
    const { sourceHostMove } = await import('../../src/resources/source-api-key.js');
    expect(sourceHostMove('https://api.openweathermap.org/data/2.5/weather?q=London', 'https://api.openweathermap.org/data/3.0/onecall')).toBeNull();
    expect(sourceHostMove('http://127.0.0.1:8081/data', 'http://127.0.0.1:9090/data')).toBeNull();
    expect(sourceHostMove('https://API.example.com/x', 'https://api.example.com/y')).toBeNull();
    expect(sourceHostMove('https://api.openweathermap.org/data', 'https://collector.example.net/data')).toEqual({ from: 'api.openweathermap.org', to: 'collector.example.net' });
    expect(sourceHostMove(undefined, 'https://collector.example.net/data')).toBeNull();
  });
});

describe('the config file as editors save it', () => {
  const folder = mkdtempSync(join(tmpdir(), 'bridge-cfg-'));

  it('is read with a UTF-8 byte-order mark (as Windows editors write it)', () => {
    const file = join(folder, 'bom.json');
    writeFileSync(file, '\uFEFF{"stack": "weather", "region": "eu-west-1"}\n');
    expect(loadConfigFile(file)).toMatchObject({ stack: 'weather', region: 'eu-west-1' });
  });

  it('when malformed, says where, never quoting its text (a key may be pasted there)', () => {
    const file = join(folder, 'broken.json');
    writeFileSync(file, '{\n  "stack": "weather",\n  "sourceUrl": sk-live-77f0c1d2e3\n}\n');
    let message = '';
    try {
      loadConfigFile(file);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(new RegExp(`^config file ${file} is not valid JSON \\(line 3, column 16: invalid symbol\\): fix its syntax$`));
    expect(message).not.toContain('sk-live');
  });

  it.each([
    ['{\n  "a": 1,\n}', 'line 3, column 1: property name expected'],
    ['{"a": 1 // note\n}', 'line 1, column 9: invalid comment token'],
    ['{"a": ', 'line 1, column 7: value expected'],
    ['{"a": 1} {}', 'line 1, column 10: end of file expected'],
  ])('places the error in %j as %j', (text, place) => {
    expect(jsonErrorPlace(text)).toBe(place);
  });
});
