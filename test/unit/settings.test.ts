import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { resolveConfig } from '../../src/config.js';
import { configFrom } from '../../src/commands/options.js';
import { SETTINGS, bounds, configFileForEnvironment, configFileSettings, configJsonSchema, envSettings, optionAttribute, settingsFromOptions } from '../../src/settings.js';

async function help(args: string[]): Promise<string> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await main(['node', 'bridge', ...args, '--help'], { stdout, stderr: new PassThrough(), stdin: Readable.from([]), env: {} });
  return out;
}

// ajv is CommonJS with a default export TypeScript's NodeNext view does not construct: required.
const Ajv = createRequire(import.meta.url)('ajv') as new (options: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown } };
const validate = new Ajv({ allErrors: true }).compile(configJsonSchema());

describe('the settings table', () => {
  it('is what schema/bridge.config.schema.json holds (npm run docs writes it)', () => {
    expect(JSON.parse(readFileSync(new URL('../../schema/bridge.config.schema.json', import.meta.url), 'utf8'))).toEqual(configJsonSchema());
  });

  it('gives every setting its flag: the global ones on bridge, the others on bridge setup', async () => {
    const [globalHelp, setupHelp] = [await help([]), await help(['setup'])];
    for (const setting of SETTINGS) {
      const long = (/--[a-z0-9-]+/.exec(setting.flag) as RegExpExecArray)[0];
      expect(setting.scope === 'global' ? globalHelp : setupHelp).toContain(long);
    }
  });

  it('maps flags, the environment and the file to the same keys', () => {
    expect(optionAttribute('--noncurrent-version-days <days>')).toBe('noncurrentVersionDays');
    // The flag and the file's key share one name; the earlier flag still works.
    expect(settingsFromOptions({ noncurrentVersionDays: '30', stack: 'ignored-here', dryRun: true }, 'setup')).toEqual({ noncurrentVersionDays: '30' });
    expect(settingsFromOptions({ noncurrentDays: '31' }, 'setup')).toEqual({ noncurrentVersionDays: '31' });
    expect(settingsFromOptions({ stack: 'weather', endpointUrl: 'http://127.0.0.1:5000' }, 'global')).toEqual({ stack: 'weather', endpointUrl: 'http://127.0.0.1:5000' });
    expect(envSettings({ AWS_DEFAULT_REGION: 'eu-west-2', AWS_PROFILE: 'dev' })).toEqual({ region: 'eu-west-2', profile: 'dev' });
    expect(configFileSettings({ source: { url: 'https://x.example/a', keyIn: 'query:appid' }, functionMemory: 512 }, 'f')).toEqual({
      sourceUrl: 'https://x.example/a',
      sourceKeyIn: 'query:appid',
      functionMemory: 512,
    });
  });

  it('declares the bounds the config enforces: the last value in is taken, one past it is refused', () => {
    const flags = { functionTimeout: 'functionTimeout', functionMemory: 'functionMemory', apiRateLimit: 'apiRateLimit', apiBurstLimit: 'apiBurstLimit', apiDailyQuota: 'apiDailyQuota', noncurrentVersionDays: 'noncurrentVersionDays', reservedConcurrency: 'reservedConcurrency' } as const;
    for (const key of Object.keys(flags) as (keyof typeof flags)[]) {
      const [min, max] = bounds(key);
      expect(() => resolveConfig({ [key]: max })).not.toThrow();
      expect(() => resolveConfig({ [key]: min })).not.toThrow();
      expect(() => resolveConfig({ [key]: max + 1 }), key).toThrow(/invalid/);
    }
  });

  it('has a schema that takes the files bridge takes and refuses the ones it refuses', () => {
    const good = { $schema: './schema.json', stack: 'weather', region: 'eu-west-1', reservedConcurrency: 'none', logRetentionDays: 30, source: { url: 'https://api.example.com/x', keyIn: 'header:X-Key' } };
    expect(validate(good), JSON.stringify(validate.errors)).toBe(true);
    expect(() => resolveConfig(configFileSettings(good, 'f'))).not.toThrow();
    for (const bad of [{ stak: 'x' }, { source: { urll: 'x' } }, { functionMemory: 64 }, { logRetentionDays: 2 }, { apiAuth: 'none' }]) {
      expect(validate(bad), JSON.stringify(bad)).toBe(false);
      expect(() => resolveConfig(configFileSettings(bad, 'f')), JSON.stringify(bad)).toThrow();
    }
  });
});

describe("the config file's environments", () => {
  const file = {
    $schema: './schema/bridge.config.schema.json',
    stack: 'weather',
    region: 'eu-west-1',
    noncurrentVersionDays: 365,
    environments: { prod: { region: 'eu-central-1', noncurrentVersionDays: 730 }, dev: { stack: 'weather-dev' } },
  };
  const write = (content: unknown) => {
    const dir = mkdtempSync(join(tmpdir(), 'bridge-envs-'));
    writeFileSync(join(dir, 'bridge.config.json'), JSON.stringify(content));
    return join(dir, 'bridge.config.json');
  };

  it('are valid by the published schema', () => {
    expect(validate(file), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ environments: { prod: { environments: {} } } })).toBe(false);
  });

  it('lay one named set over the top-level settings, chosen with --env or BRIDGE_ENV', async () => {
    const path = write(file);
    expect(configFileForEnvironment(file, path, undefined)).toEqual({ stack: 'weather', region: 'eu-west-1', noncurrentVersionDays: 365 });
    expect(configFileForEnvironment(file, path, 'prod')).toEqual({ stack: 'weather', region: 'eu-central-1', noncurrentVersionDays: 730 });
    const prod = await configFrom({ config: path, env: 'prod' }, {}, {});
    expect([prod.stack, prod.region, prod.noncurrentVersionDays]).toEqual(['weather', 'eu-central-1', 730]);
    const dev = await configFrom({ config: path }, {}, { BRIDGE_ENV: 'dev' });
    expect([dev.stack, dev.region]).toEqual(['weather-dev', 'eu-west-1']);
    // Flags still win over the environment's settings.
    expect((await configFrom({ config: path, env: 'prod', region: 'us-west-2' }, {}, {})).region).toBe('us-west-2');
  });

  it('refuse a name the file does not have, and nesting, naming the fix', async () => {
    const path = write(file);
    await expect(configFrom({ config: path, env: 'staging' }, {}, {})).rejects.toThrow('--env staging: config file ' + path + ' has the environments prod, dev; choose one of them or add staging there');
    expect(() => configFileForEnvironment({ environments: { prod: { environments: {} } } }, path, 'prod')).toThrow(/cannot hold environments of its own/);
    expect(() => configFileForEnvironment({ environments: { prod: { colour: 'red' } } }, path, 'prod')).toThrow(/environments\.prod\) has an unknown key 'colour'/);
    await expect(configFrom({ config: join(tmpdir(), 'nope-bridge.json'), env: 'prod' }, {}, {})).rejects.toThrow(/does not exist/);
  });
});
