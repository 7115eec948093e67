/**
 * Every setting of a stack, declared once: its flag, its key in bridge.config.json, its
 * environment variables, its default and its bounds. The commander options, the config file's
 * reading and its JSON Schema (schema/bridge.config.schema.json), and the environment's reading
 * are all made from this table; src/config.ts validates the values and builds the StackConfig.
 * A new setting is one row here plus its use.
 */
import { UsageError } from './errors.js';

export const DEFAULTS = {
  stack: 'databridge',
  region: 'us-east-1',
  dataPrefix: 'raw/',
  noncurrentVersionDays: 365,
  logRetentionDays: 365,
  // Under API Gateway's 29-second integration timeout, so a caller never gets a 504 while the
  // function goes on writing.
  functionTimeoutSeconds: 25,
  functionMemoryMb: 256,
  reservedConcurrency: 2,
  // Without a reservation; with one (N), the stage admits N a second, burst N: a run takes about a
  // second, so more would only be throttled by Lambda and reach callers as errors.
  apiRateLimit: 10,
  apiBurstLimit: 20,
  apiDailyQuota: 1000,
} as const;

/** The values CloudWatch Logs accepts for retention. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** What the user gave, from any source; strings as typed. */
export interface RawSettings {
  stack?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  bucket?: string;
  dataPrefix?: string;
  noncurrentVersionDays?: string | number;
  logRetentionDays?: string | number;
  functionTimeout?: string | number;
  functionMemory?: string | number;
  reservedConcurrency?: string | number;
  sourceUrl?: string;
  sourceKeyIn?: string;
  operatorAccessKeyFile?: string;
  apiAuth?: string;
  apiRateLimit?: string | number;
  apiBurstLimit?: string | number;
  apiDailyQuota?: string | number;
  apiKeyFile?: string;
  configureAccountLogging?: boolean;
  schedule?: string;
  /** Replace key files bridge did not write (flag only). */
  force?: boolean;
  /** Take over the stack's untagged, empty, new bucket (flag only). */
  adopt?: boolean;
}

export type SettingKey = keyof RawSettings;

export interface Setting {
  key: SettingKey;
  /** Commander's spelling; the option's attribute is the camel case of its long name. */
  flag: string;
  help: string;
  /** Every command takes it (global), or setup alone. */
  scope: 'global' | 'setup';
  /** Its key in bridge.config.json ('source.url': inside the "source" object); none: a flag only. */
  file?: string;
  /** Environment variables, the first one set wins (the AWS CLI's conventions). */
  env?: string[];
  /** Earlier spellings of the flag, still accepted (hidden from --help). */
  aliases?: string[];
  /** Its value in the config file, as JSON Schema; `minimum`/`maximum` are also what config.ts enforces. */
  schema?: Record<string, unknown>;
}

const whole = (minimum: number, maximum: number, description: string) => ({ type: 'integer', minimum, maximum, description });

export const SETTINGS: readonly Setting[] = [
  { key: 'stack', flag: '--stack <name>', scope: 'global', file: 'stack', help: `stack name (default ${DEFAULTS.stack})`, schema: { type: 'string', pattern: '^[a-z][a-z0-9-]{2,30}$', description: 'The stack name: 3 to 31 lowercase letters, digits and -.' } },
  { key: 'region', flag: '--region <region>', scope: 'global', file: 'region', env: ['AWS_REGION', 'AWS_DEFAULT_REGION'], help: `AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, ${DEFAULTS.region})`, schema: { type: 'string', description: 'The AWS region, e.g. eu-west-2.' } },
  { key: 'profile', flag: '--profile <profile>', scope: 'global', file: 'profile', env: ['AWS_PROFILE'], help: 'AWS shared-config profile (default: AWS_PROFILE)', schema: { type: 'string', description: 'An AWS shared-config profile.' } },
  { key: 'endpointUrl', flag: '--endpoint-url <url>', scope: 'global', file: 'endpointUrl', env: ['AWS_ENDPOINT_URL'], help: 'AWS endpoint, e.g. the local AWS (default: AWS_ENDPOINT_URL)', schema: { type: 'string', description: 'An AWS endpoint, e.g. the local AWS on http://127.0.0.1:PORT.' } },
  { key: 'bucket', flag: '--bucket <name>', scope: 'setup', file: 'bucket', help: 'bucket name (default S-ACCOUNT-REGION)', schema: { type: 'string', description: 'The bucket name (default: STACK-ACCOUNT-REGION).' } },
  { key: 'dataPrefix', flag: '--data-prefix <prefix>', scope: 'setup', file: 'dataPrefix', help: `key prefix the function writes under (default ${DEFAULTS.dataPrefix})`, schema: { type: 'string', pattern: '/$', description: 'The key prefix the function writes under, ending with /.' } },
  { key: 'noncurrentVersionDays', flag: '--noncurrent-version-days <days>', aliases: ['--noncurrent-days <days>'], scope: 'setup', file: 'noncurrentVersionDays', help: `days before noncurrent object versions expire (default ${DEFAULTS.noncurrentVersionDays})`, schema: whole(1, 36500, 'Days before noncurrent object versions expire.') },
  { key: 'logRetentionDays', flag: '--log-retention-days <days>', scope: 'setup', file: 'logRetentionDays', help: `days the function and API logs are kept (default ${DEFAULTS.logRetentionDays})`, schema: { type: 'integer', enum: LOG_RETENTION_DAYS, description: "Days the function's and the API's logs are kept (one of CloudWatch Logs' values)." } },
  { key: 'functionTimeout', flag: '--function-timeout <seconds>', scope: 'setup', file: 'functionTimeout', help: `function timeout (default ${DEFAULTS.functionTimeoutSeconds})`, schema: whole(3, 900, 'The function timeout, in seconds.') },
  { key: 'functionMemory', flag: '--function-memory <mb>', scope: 'setup', file: 'functionMemory', help: `function memory (default ${DEFAULTS.functionMemoryMb})`, schema: whole(128, 10240, "The function's memory, in MB.") },
  {
    key: 'reservedConcurrency',
    flag: '--reserved-concurrency <n>',
    scope: 'setup',
    file: 'reservedConcurrency',
    help: `most concurrent runs of the function (default ${DEFAULTS.reservedConcurrency}), or none`,
    schema: { oneOf: [{ type: 'integer', minimum: 1, maximum: 1000 }, { const: 'none' }], description: 'Most concurrent runs of the function, or "none" for no reservation.' },
  },
  { key: 'sourceUrl', flag: '--source-url <url>', scope: 'setup', file: 'source.url', help: 'the source API URL, without its key (https; http only to loopback)', schema: { type: 'string', description: 'The source API URL, without its key (https; http only to loopback).' } },
  {
    key: 'sourceKeyIn',
    flag: '--source-key-in <placement>',
    scope: 'setup',
    file: 'source.keyIn',
    help: 'where the key goes: query:NAME or header:NAME (default query:appid for OpenWeatherMap, else header:Authorization as a bearer token)',
    schema: { type: 'string', pattern: '^(query|header):.+$', description: 'Where the function puts the source key: query:NAME or header:NAME.' },
  },
  { key: 'apiAuth', flag: '--api-auth <mode>', scope: 'setup', file: 'apiAuth', help: 'how GET /data is protected: aws-iam (SigV4, default) or api-key (usage plan)', schema: { enum: ['aws-iam', 'api-key'], description: 'How GET /data is protected.' } },
  { key: 'apiRateLimit', flag: '--api-rate-limit <rps>', scope: 'setup', file: 'apiRateLimit', help: `stage throttling: steady requests per second (default ${DEFAULTS.apiRateLimit})`, schema: whole(1, 10000, 'Stage throttling: steady requests per second.') },
  { key: 'apiBurstLimit', flag: '--api-burst-limit <n>', scope: 'setup', file: 'apiBurstLimit', help: `stage throttling: burst (default ${DEFAULTS.apiBurstLimit})`, schema: whole(1, 5000, 'Stage throttling: burst.') },
  { key: 'apiDailyQuota', flag: '--api-daily-quota <n>', scope: 'setup', file: 'apiDailyQuota', help: `api-key mode: requests per day (default ${DEFAULTS.apiDailyQuota})`, schema: whole(1, 10_000_000, 'api-key mode: requests per day.') },
  { key: 'apiKeyFile', flag: '--api-key-file <path>', scope: 'setup', help: "api-key mode: write the API's key here (mode 0600), never printed" },
  {
    key: 'schedule',
    flag: '--schedule <expression>',
    scope: 'setup',
    file: 'schedule',
    help: "run the function on a schedule: 'rate(15 minutes)', 'cron(0 6 * * ? *)', or none to remove it (default: keep the deployed one)",
    schema: { type: 'string', pattern: '^(rate\\(.+\\)|cron\\(.+\\)|none)$', description: "An EventBridge Scheduler expression the function runs on: rate(N minutes|hours|days) or cron(6 fields); none removes the schedule." },
  },
  { key: 'configureAccountLogging', flag: '--configure-account-logging', scope: 'setup', help: "let setup set API Gateway's account-wide CloudWatch role (needed for execution logs)" },
  { key: 'operatorAccessKeyFile', flag: '--operator-access-key-file <path>', scope: 'setup', help: 'create one access key for the operator user and write it here (mode 0600)' },
  { key: 'force', flag: '--force', scope: 'setup', help: 'replace an existing key file that bridge did not write (never needed for its own)' },
  { key: 'adopt', flag: '--adopt', scope: 'setup', help: "take over the stack's bucket when an interrupted setup left it untagged (empty and new only)" },
];

const byKey = new Map(SETTINGS.map((setting) => [setting.key, setting]));

/** The bounds a whole-number setting is declared with (its schema's minimum and maximum). */
export function bounds(key: SettingKey): [number, number] {
  const schema = byKey.get(key)?.schema;
  const range = (schema?.oneOf as Record<string, unknown>[] | undefined)?.[0] ?? schema;
  if (typeof range?.minimum !== 'number' || typeof range.maximum !== 'number') throw new Error(`setting ${key} declares no bounds`);
  return [range.minimum, range.maximum];
}

/** Commander's attribute for a flag: --noncurrent-version-days <days> -> noncurrentVersionDays. */
export function optionAttribute(flag: string): string {
  const long = /--([a-z0-9-]+)/.exec(flag)?.[1] ?? '';
  return long.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** A command's options (as commander parsed them) as settings: only those its scope takes. */
export function settingsFromOptions(options: Record<string, unknown>, scope: Setting['scope']): RawSettings {
  const raw: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    if (setting.scope !== scope) continue;
    // The flag's own spelling wins over an earlier one given too.
    const value = [setting.flag, ...(setting.aliases ?? [])].map((flag) => options[optionAttribute(flag)]).find((v) => v !== undefined);
    if (value !== undefined) raw[setting.key] = value;
  }
  return raw as RawSettings;
}

/** The AWS CLI's environment conventions, as the table declares them. */
export function envSettings(env: NodeJS.ProcessEnv): RawSettings {
  const raw: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const value = setting.env?.map((name) => env[name]).find((v) => v !== undefined && v !== '');
    if (value !== undefined) raw[setting.key] = value;
  }
  return raw as RawSettings;
}

const fileSettings = SETTINGS.filter((setting) => setting.file !== undefined);
/** The config file's top-level keys ("source" holds source.url and source.keyIn), "$schema" for editors, and "environments". */
const SETTING_FILE_KEYS = [...new Set(fileSettings.map((setting) => (setting.file as string).split('.')[0] as string))];
export const CONFIG_FILE_KEYS = ['$schema', ...SETTING_FILE_KEYS, 'environments'];

/** An environment's name in the file's "environments" (and --env). */
const ENVIRONMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

/**
 * The file's settings for one environment: its top-level settings, and over them those of
 * `environments[name]` (as Terraform workspaces or SAM's config environments are chosen).
 */
export function configFileForEnvironment(parsed: unknown, file: string, name: string | undefined): RawSettings {
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(parsed)) throw new UsageError(`config file ${file} must hold a JSON object`);
  const { environments, ...base } = parsed;
  if (environments !== undefined && !isObject(environments)) throw new UsageError(`config file ${file}: 'environments' must be an object of named settings, like {"prod": {"region": "eu-west-1"}}`);
  const named = (environments ?? {}) as Record<string, unknown>;
  for (const [env, settings] of Object.entries(named)) {
    if (!ENVIRONMENT_NAME.test(env)) throw new UsageError(`config file ${file}: environment name '${env}' must be letters, digits, - and _ (up to 32)`);
    if (!isObject(settings)) throw new UsageError(`config file ${file}: environments.${env} must be an object of settings`);
    if ('environments' in settings) throw new UsageError(`config file ${file}: environments.${env} cannot hold environments of its own`);
    if ('$schema' in settings) throw new UsageError(`config file ${file}: environments.${env} cannot hold $schema (it goes at the top)`);
  }
  if (name === undefined) return configFileSettings(base, file);
  const chosen = named[name];
  if (chosen === undefined) {
    const known = Object.keys(named);
    throw new UsageError(`--env ${name}: config file ${file} has ${known.length > 0 ? `the environments ${known.join(', ')}` : 'no "environments"'}; choose one of them or add ${name} there`);
  }
  return { ...configFileSettings(base, file), ...configFileSettings(chosen, `${file} (environments.${name})`) };
}

/** Maps the config file's JSON to settings; unknown keys are an error so typos do not pass silently. */
export function configFileSettings(parsed: unknown, file: string): RawSettings {
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(parsed)) throw new UsageError(`config file ${file} must hold a JSON object`);
  // A key in a file ends up in repositories; say so rather than "unknown key".
  if (Object.keys(parsed).some((key) => /^api[-_]?key$/i.test(key))) {
    throw new UsageError(`config file ${file} must not hold the API key: pass it with --source-key-env or --source-key-stdin`);
  }
  for (const key of Object.keys(parsed)) {
    // "environments" is taken apart by configFileForEnvironment before the settings are read.
    if (key !== '$schema' && !SETTING_FILE_KEYS.includes(key)) throw new UsageError(`config file ${file} has an unknown key '${key}': allowed are ${CONFIG_FILE_KEYS.join(', ')}`);
  }
  for (const [group, value] of Object.entries(parsed)) {
    const inner = fileSettings.filter((setting) => setting.file?.startsWith(`${group}.`)).map((setting) => setting.file?.slice(group.length + 1) as string);
    if (inner.length === 0) continue;
    if (!isObject(value)) throw new UsageError(`config file ${file}: '${group}' must be an object like {"url": "...", "keyIn": "query:appid"}`);
    for (const key of Object.keys(value)) {
      if (!inner.includes(key)) throw new UsageError(`config file ${file} has an unknown key '${group}.${key}': allowed are ${inner.map((k) => `${group}.${k}`).join(', ')}`);
    }
  }
  const raw: Record<string, unknown> = {};
  for (const setting of fileSettings) {
    const path = (setting.file as string).split('.');
    const value = path.reduce<unknown>((at, part) => (isObject(at) ? at[part] : undefined), parsed);
    if (value === undefined) continue;
    const numeric = setting.schema?.type === 'integer' || setting.schema?.oneOf !== undefined;
    if (numeric ? typeof value !== 'number' && typeof value !== 'string' : typeof value !== 'string') {
      throw new UsageError(`config file ${file}: '${setting.file}' must be a ${numeric ? 'number' : 'string'}`);
    }
    raw[setting.key] = value;
  }
  return raw as RawSettings;
}

/** The config file's JSON Schema (written to schema/bridge.config.schema.json by npm run docs). */
export function configJsonSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = { $schema: { type: 'string', description: 'This schema, for editors.' } };
  for (const setting of fileSettings) {
    const [group, inner] = (setting.file as string).split('.') as [string, string | undefined];
    if (inner) {
      const object = (properties[group] ??= { type: 'object', additionalProperties: false, properties: {} }) as { properties: Record<string, unknown> };
      object.properties[inner] = setting.schema ?? {};
    } else {
      properties[group] = setting.schema ?? {};
    }
  }
  const { $schema: _self, ...settings } = properties;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'bridge.config.json',
    description: 'Settings of one bridge stack; flags and the environment override them. The source API key never goes here.',
    type: 'object',
    additionalProperties: false,
    properties: {
      ...properties,
      environments: {
        type: 'object',
        description: 'Named sets of settings over the ones above, chosen with --env NAME (or BRIDGE_ENV).',
        propertyNames: { pattern: ENVIRONMENT_NAME.source },
        additionalProperties: { type: 'object', additionalProperties: false, properties: settings },
      },
    },
  };
}
