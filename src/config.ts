/**
 * One StackConfig from flags, environment and bridge.config.json (in that order of precedence),
 * validated before any AWS call (the validators are src/validate.ts). Pure except `loadConfigFile`
 * and the checks of the files bridge will write.
 */
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { accessSync, constants, existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './errors.js';
import { DEFAULTS, bounds, configFileForEnvironment, type RawSettings } from './settings.js';
import {
  parseKeyPlacement,
  validateApiAuth,
  validateSchedule,
  validateBucketName,
  validateDerivedNames,
  validateEndpointUrl,
  validateNoncurrentDays,
  validatePrefix,
  validateRange,
  validateRegion,
  validateReservedConcurrency,
  validateRetentionDays,
  validateSourceUrl,
  validateStackName,
  type ApiAuth,
  type KeyPlacement,
} from './validate.js';

export { DEFAULTS, LOG_RETENTION_DAYS, configFileSettings, envSettings } from './settings.js';
export type { RawSettings } from './settings.js';
export * from './validate.js';

export interface StackConfig {
  stack: string;
  region: string;
  profile?: string;
  endpoint?: string;
  /** Explicit bucket name (--bucket); otherwise derived as S-A-R. */
  bucket?: string;
  dataPrefix: string;
  noncurrentVersionDays: number;
  logRetentionDays: number;
  functionTimeoutSeconds: number;
  functionMemoryMb: number;
  /** Null: no reservation (--reserved-concurrency none), for accounts whose quota leaves no room. */
  reservedConcurrency: number | null;
  source: {
    /** Given on this run; otherwise the deployed function's is kept. */
    url?: string;
    /** Given on this run; otherwise the deployed function's, or the default for the URL. */
    keyPlacement?: KeyPlacement;
  };
  operatorAccessKeyFile?: string;
  /** --adopt: take over the stack's own bucket left untagged by an interrupted setup. */
  adopt?: boolean;
  /**
   * The ingestion schedule's expression (rate(...) or cron(...)); null: no schedule (--schedule
   * none); absent: keep what is deployed.
   */
  schedule?: string | null;
  api: {
    /** Given on this run; otherwise the deployed method's, or aws-iam. */
    auth?: ApiAuth;
    rateLimit: number;
    burstLimit: number;
    dailyQuota: number;
    /** Where to write the API key (api-key mode), mode 0600. */
    keyFile?: string;
    /** Whether setup may set the account-wide API Gateway CloudWatch role. */
    configureAccountLogging: boolean;
  };
}

/** Reads bridge.config.json: an explicit path must exist; the default one is optional. */
export function loadConfigFile(path: string | undefined, cwd = process.cwd(), environment?: string): RawSettings {
  const explicit = path !== undefined;
  const file = resolve(cwd, path ?? 'bridge.config.json');
  if (!existsSync(file)) {
    if (explicit) throw new UsageError(`config file ${file} does not exist: fix the --config path or create the file`);
    if (environment !== undefined) throw new UsageError(`--env ${environment}: there is no config file (${file}) to hold environments; create it, or give --config PATH`);
    return {};
  }
  if (statSync(file).isDirectory()) throw new UsageError(`config file ${file} is a folder: give the path of a JSON file`);
  // Editors on Windows save UTF-8 with a byte-order mark; JSON.parse would refuse it.
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`config file ${file} is not valid JSON (${jsonErrorPlace(text)}): fix its syntax`);
  }
  return configFileForEnvironment(parsed, file, environment);
}

/**
 * Where the JSON goes wrong, as "line L, column C: what", never JSON.parse's own words: they quote
 * the text around the error, which may be a key someone pasted into the file. jsonc-parser (strict:
 * no comments, no trailing commas) finds the place.
 */
export function jsonErrorPlace(text: string): string {
  const errors: ParseError[] = [];
  parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first) return 'not JSON';
  const before = text.slice(0, first.offset);
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  const what = printParseErrorCode(first.error).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return `line ${line}, column ${column}: ${what}`;
}

/** Later sources win: defaults < file < env < flags. */
export function mergeSettings(...sources: RawSettings[]): RawSettings {
  const merged: RawSettings = {};
  for (const source of sources) {
    for (const [key, value] of Object.entries(source)) {
      if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
    }
  }
  return merged;
}

export function resolveConfig(raw: RawSettings): StackConfig {
  const stack = validateStackName(raw.stack ?? DEFAULTS.stack);
  const region = validateRegion(raw.region ?? DEFAULTS.region);
  validateDerivedNames(stack, region, raw.bucket !== undefined && raw.bucket !== '');
  const reserved = validateReservedConcurrency(raw.reservedConcurrency ?? DEFAULTS.reservedConcurrency);
  const config: StackConfig = {
    stack,
    region,
    dataPrefix: validatePrefix(raw.dataPrefix ?? DEFAULTS.dataPrefix),
    noncurrentVersionDays: validateNoncurrentDays(raw.noncurrentVersionDays ?? DEFAULTS.noncurrentVersionDays),
    logRetentionDays: validateRetentionDays(raw.logRetentionDays ?? DEFAULTS.logRetentionDays),
    functionTimeoutSeconds: validateRange(raw.functionTimeout ?? DEFAULTS.functionTimeoutSeconds, 'function timeout', ...bounds('functionTimeout'), 'seconds'),
    functionMemoryMb: validateRange(raw.functionMemory ?? DEFAULTS.functionMemoryMb, 'function memory', ...bounds('functionMemory'), 'MB'),
    reservedConcurrency: reserved,
    source: {},
    api: {
      rateLimit: validateRange(raw.apiRateLimit ?? reserved ?? DEFAULTS.apiRateLimit, 'API rate limit', ...bounds('apiRateLimit'), 'requests per second'),
      burstLimit: validateRange(raw.apiBurstLimit ?? reserved ?? DEFAULTS.apiBurstLimit, 'API burst limit', ...bounds('apiBurstLimit'), 'requests'),
      dailyQuota: validateRange(raw.apiDailyQuota ?? DEFAULTS.apiDailyQuota, 'API daily quota', ...bounds('apiDailyQuota'), 'requests per day'),
      configureAccountLogging: raw.configureAccountLogging === true,
    },
  };
  if (raw.apiAuth) config.api.auth = validateApiAuth(raw.apiAuth);
  if (raw.apiKeyFile) config.api.keyFile = validateSecretFile(raw.apiKeyFile, '--api-key-file', looksLikeApiKeyFile, raw.force === true);
  if (raw.sourceKeyIn) config.source.keyPlacement = parseKeyPlacement(raw.sourceKeyIn);
  if (raw.profile) config.profile = raw.profile;
  if (raw.endpointUrl) config.endpoint = validateEndpointUrl(raw.endpointUrl);
  if (raw.bucket) config.bucket = validateBucketName(raw.bucket, '--bucket');
  if (raw.sourceUrl) config.source.url = validateSourceUrl(raw.sourceUrl);
  if (raw.adopt) config.adopt = true;
  if (raw.schedule !== undefined) config.schedule = validateSchedule(raw.schedule);
  if (raw.operatorAccessKeyFile) {
    config.operatorAccessKeyFile = validateSecretFile(raw.operatorAccessKeyFile, '--operator-access-key-file', (text) => text.startsWith(KEY_FILE_MARK), raw.force === true);
  }
  return config;
}

/** A file bridge will write (mode 0600): its folder must exist and it must not be a folder. */
export function validateOutputFile(path: string, flag: string): string {
  const file = resolve(path);
  if (!existsSync(dirname(file)) || !statSync(dirname(file)).isDirectory()) {
    throw new UsageError(`${flag} ${path}: the folder ${dirname(file)} does not exist; create it first`);
  }
  if (existsSync(file) && statSync(file).isDirectory()) throw new UsageError(`${flag} ${path} is a folder: give a file path`);
  try {
    accessSync(dirname(file), constants.W_OK);
  } catch {
    throw new UsageError(`${flag} ${path}: the folder ${dirname(file)} is not writable; choose a folder you can write to`);
  }
  return file;
}

/** The first line of every credentials file bridge writes (see resources/operators.ts). */
export const KEY_FILE_MARK = '# Written by bridge setup for IAM user ';

/** An API key file as bridge writes it: one line holding one API Gateway key value. */
function looksLikeApiKeyFile(text: string): boolean {
  return /^[A-Za-z0-9]{20,128}\n?$/.test(text);
}

/**
 * A file bridge writes a secret into: checked before anything is created, so a key is never made
 * whose secret cannot be stored. Its folder must exist and be writable; a symlink is refused; an
 * existing file is replaced only if bridge wrote it (`recognise`), or with --force: a credentials
 * file holding other profiles is never wiped.
 */
export function validateSecretFile(path: string, flag: string, recognise: (text: string) => boolean, force: boolean): string {
  const file = validateOutputFile(path, flag);
  let stat;
  try {
    stat = lstatSync(file);
  } catch {
    return file;
  }
  if (stat.isSymbolicLink()) throw new UsageError(`${flag} ${path} is a symbolic link: bridge writes secrets only to a plain file; give the real path or a new one`);
  if (force) return file;
  let text = '';
  try {
    text = stat.size <= 4096 ? readFileSync(file, 'utf8') : '';
  } catch {
    // Unreadable: not one bridge wrote for this user.
  }
  if (!recognise(text)) {
    throw new UsageError(`${flag} ${path} exists and was not written by bridge: it is never replaced (other profiles or keys would be lost); give a new path, or --force to replace it`);
  }
  return file;
}
