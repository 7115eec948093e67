import { readFileSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { resolveConfig } from '../../src/config.js';
import { SETTINGS, bounds, configFileSettings, configJsonSchema, envSettings, optionAttribute, settingsFromOptions } from '../../src/settings.js';

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
    expect(optionAttribute('--noncurrent-days <days>')).toBe('noncurrentDays');
    expect(settingsFromOptions({ noncurrentDays: '30', stack: 'ignored-here', dryRun: true }, 'setup')).toEqual({ noncurrentVersionDays: '30' });
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
