/**
 * One StackConfig from flags, environment and bridge.config.json (in that order of precedence),
 * validated before any AWS call. Everything here is pure except `loadConfigFile`.
 */
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { accessSync, constants, existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isIP } from 'node:net';
import { keyPlacementOf } from '../handler/core.js';
import { UsageError } from './errors.js';
import { DEFAULTS, LOG_RETENTION_DAYS, bounds, configFileSettings, type RawSettings } from './settings.js';
import { defaultBucketName, isKnownRegion, stackNames } from './names.js';

export { DEFAULTS, LOG_RETENTION_DAYS, configFileSettings, envSettings } from './settings.js';
export type { RawSettings } from './settings.js';

/** How GET /data is protected: SigV4 (IAM) by default, or an API key with a usage plan. NONE is not offered. */
export type ApiAuth = 'aws-iam' | 'api-key';

/** Where the function puts the source API key on each request. */
export interface KeyPlacement {
  in: 'query' | 'header';
  name: string;
}

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
export function loadConfigFile(path: string | undefined, cwd = process.cwd()): RawSettings {
  const explicit = path !== undefined;
  const file = resolve(cwd, path ?? 'bridge.config.json');
  if (!existsSync(file)) {
    if (explicit) throw new UsageError(`config file ${file} does not exist: fix the --config path or create the file`);
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
  return configFileSettings(parsed, file);
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
  if (raw.operatorAccessKeyFile) {
    config.operatorAccessKeyFile = validateSecretFile(raw.operatorAccessKeyFile, '--operator-access-key-file', (text) => text.startsWith(KEY_FILE_MARK), raw.force === true);
  }
  return config;
}

export function validateStackName(stack: string): string {
  if (!/^[a-z][a-z0-9-]{2,30}$/.test(stack)) {
    throw new UsageError(
      `invalid stack name '${stack}': use 3 to 31 characters, lowercase letters, digits and '-', starting with a letter (e.g. --stack databridge)`,
    );
  }
  return stack;
}

export function validateRegion(region: string): string {
  if (!/^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/.test(region)) {
    throw new UsageError(`invalid region '${region}': give an AWS region code such as us-east-1 or eu-west-2 (--region or AWS_REGION)`);
  }
  // The SDK's partition data lists every region it can sign for; a name that only looks like one
  // would fail later, at some call, with a DNS error.
  if (!isKnownRegion(region)) {
    throw new UsageError(`unknown region '${region}': the AWS SDK bridge uses does not know it; check the spelling (e.g. eu-west-2), or upgrade bridge if the region is new`);
  }
  return region;
}

/**
 * Names derived from the stack name that AWS would refuse, found before any call: SSM refuses
 * parameter names beginning with aws or ssm; S3 bucket names have reserved prefixes; IAM role and
 * user names are at most 64 characters.
 */
export function validateDerivedNames(stack: string, region: string, bucketGiven: boolean): void {
  const fix = 'choose another --stack';
  if (/^(aws|ssm)/i.test(stack)) {
    throw new UsageError(`invalid stack name '${stack}': SSM refuses parameter names beginning with 'aws' or 'ssm' (the source key is /${stack}/source/api-key): ${fix}`);
  }
  if (!bucketGiven) {
    // The account id is 12 digits: a placeholder of that length checks the real name's rules.
    const problem = bucketNameProblem(defaultBucketName(stack, '000000000000', region));
    if (problem) throw new UsageError(`invalid stack name '${stack}': the bucket name derived from it breaks S3's rules (${problem}): ${fix}, or give --bucket`);
  }
  for (const name of [stackNames(stack, '000000000000', region).roleName, stackNames(stack, '000000000000', region).operatorUser]) {
    if (name.length > 64) throw new UsageError(`invalid stack name '${stack}': the IAM name ${name} is longer than IAM's 64 characters: ${fix}`);
  }
}

/** The S3 general purpose bucket naming rules. */
export function validateBucketName(name: string, source = 'bucket name'): string {
  const problem = bucketNameProblem(name);
  if (problem) throw new UsageError(`invalid ${source} '${name}': ${problem}`);
  return name;
}

export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'a bucket name has 3 to 63 characters';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'use only lowercase letters, digits, dots and hyphens';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'start and end with a letter or digit';
  if (name.includes('..')) return 'no two adjacent dots';
  if (isIP(name) === 4) return 'a bucket name must not look like an IP address';
  for (const prefix of ['xn--', 'sthree-', 'amzn-s3-demo-']) {
    if (name.startsWith(prefix)) return `a bucket name must not start with '${prefix}'`;
  }
  for (const suffix of ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3']) {
    if (name.endsWith(suffix)) return `a bucket name must not end with '${suffix}'`;
  }
  return undefined;
}

export function validatePrefix(prefix: string): string {
  if (!/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/$/.test(prefix) || prefix.split('/').some((part) => part === '.' || part === '..')) {
    throw new UsageError(
      `invalid data prefix '${prefix}': use path segments of letters, digits and !_.*'()- ending with '/', with no leading '/' (e.g. --data-prefix raw/)`,
    );
  }
  if (prefix.length > 200) throw new UsageError(`invalid data prefix '${prefix}': keep it under 200 characters`);
  return prefix;
}

function wholeNumber(value: string | number, what: string, fix: string): number {
  const number = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number)) throw new UsageError(`invalid ${what} '${value}': ${fix}`);
  return number;
}

export function validateNoncurrentDays(value: string | number): number {
  const [min, max] = bounds('noncurrentVersionDays');
  const fix = `give a whole number of days from ${min} to ${max}`;
  const days = wholeNumber(value, 'noncurrent version days', fix);
  if (days < min || days > max) throw new UsageError(`invalid noncurrent version days '${value}': ${fix}`);
  return days;
}

export function validateReservedConcurrency(value: string | number): number | null {
  if (typeof value === 'string' && value.trim().toLowerCase() === 'none') return null;
  const [min, max] = bounds('reservedConcurrency');
  const fix = `give a whole number from ${min} to ${max} (concurrent executions), or none for no reservation`;
  const number = wholeNumber(value, 'reserved concurrency', fix);
  if (number < min || number > max) throw new UsageError(`invalid reserved concurrency '${value}': ${fix}`);
  return number;
}

export function validateRange(value: string | number, what: string, min: number, max: number, unit: string): number {
  const fix = `give a whole number from ${min} to ${max} (${unit})`;
  const number = wholeNumber(value, what, fix);
  if (number < min || number > max) throw new UsageError(`invalid ${what} '${value}': ${fix}`);
  return number;
}

export function validateRetentionDays(value: string | number): number {
  const fix = `use one of CloudWatch Logs' values: ${LOG_RETENTION_DAYS.join(', ')}`;
  const days = wholeNumber(value, 'log retention days', fix);
  if (!LOG_RETENTION_DAYS.includes(days)) throw new UsageError(`invalid log retention days '${value}': ${fix}`);
  return days;
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

function parseUrl(value: string, what: string, fix: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new UsageError(`invalid ${what} '${value}': ${fix}`);
  }
}

export function validateEndpointUrl(value: string): string {
  const fix = 'give an http(s) URL such as http://127.0.0.1:4566 (--endpoint-url or AWS_ENDPOINT_URL)';
  const url = parseUrl(value, 'endpoint URL', fix);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`invalid endpoint URL '${value}': ${fix}`);
  if (url.username || url.password) throw new UsageError(`invalid endpoint URL: it must not carry credentials; use the AWS credential chain instead`);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new UsageError(`invalid endpoint URL '${value}': give only scheme, host and port, e.g. http://127.0.0.1:4566`);
  }
  return url.origin;
}

/**
 * The source API's URL: https, or http only to loopback (the local sample source). It must not
 * carry the key: the key is stored in SSM and added by the function at request time.
 */
export function validateSourceUrl(value: string): string {
  const fix = 'give an https URL such as https://api.openweathermap.org/data/2.5/weather?q=London (--source-url)';
  // It travels in the function's environment (4 KB in all): a URL this long is a mistake.
  if (value.length > MAX_SOURCE_URL) throw new UsageError(`invalid source URL: it is ${value.length} characters, more than ${MAX_SOURCE_URL}; ${fix}`);
  // WHATWG URL parsing reads https:///path as host "path": insist on a host right after '//'.
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/?#\s@]/i.test(value)) throw new UsageError(`invalid source URL: it has no host after '//'; ${fix}`);
  const url = parseUrl(value, 'source URL', fix);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new UsageError(`invalid source URL '${url.origin}': plain http is allowed only to loopback; use https`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`invalid source URL: ${fix}`);
  if (url.username || url.password) {
    throw new UsageError('invalid source URL: it must not carry credentials; pass the API key with --source-key-env or --source-key-stdin');
  }
  for (const name of url.searchParams.keys()) {
    if (looksLikeCredentialName(name)) {
      throw new UsageError(
        `invalid source URL: its query parameter '${name}' looks like a credential; remove it and pass the key with --source-key-env or --source-key-stdin`,
      );
    }
  }
  return url.toString();
}

const MAX_SOURCE_URL = 2048;

/**
 * A query parameter named like a credential: appid, key, api_key, x-api-key, access_key, token,
 * api_token, client_secret, password, pwd, sig, signature, credential, auth...
 */
export function looksLikeCredentialName(name: string): boolean {
  return /^appid$|(^|[-_.])(api[-_]?)?(key|keys|token|secret|password|passwd|pwd|pass|sig|signature|credentials?|auth|authorization)$/i.test(name);
}

/** Headers HTTP itself owns: a key sent in one of them would break the request or leak elsewhere. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'content-type', 'connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'expect']);

export function parseKeyPlacement(value: string): KeyPlacement {
  const placement = keyPlacementOf(value);
  if (!placement) {
    throw new UsageError(`invalid key placement '${value}' (--source-key-in): use query:NAME (e.g. query:appid) or header:NAME (e.g. header:Authorization)`);
  }
  if (placement.in === 'header' && RESERVED_HEADERS.has(placement.name.toLowerCase())) {
    throw new UsageError(`invalid key placement '${value}' (--source-key-in): ${placement.name} is a header HTTP itself sets; send the key in Authorization or the header the API documents`);
  }
  return placement;
}

export function formatKeyPlacement(placement: KeyPlacement): string {
  return `${placement.in}:${placement.name}`;
}

/** OpenWeatherMap takes its key as ?appid=; other APIs mostly as a bearer token. */
export function defaultKeyPlacement(sourceUrl: string): KeyPlacement {
  const host = new URL(sourceUrl).hostname;
  return host === 'openweathermap.org' || host.endsWith('.openweathermap.org') ? { in: 'query', name: 'appid' } : { in: 'header', name: 'Authorization' };
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

export function validateApiAuth(value: string): ApiAuth {
  if (value === 'aws-iam' || value === 'api-key') return value;
  const none = /^none$/i.test(value) ? ': an API without authorization is not offered' : '';
  throw new UsageError(`invalid --api-auth '${value}'${none}; use aws-iam (SigV4, the default) or api-key`);
}

export function validateEnvVarName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new UsageError(`invalid --source-key-env '${name}': give the NAME of an environment variable that holds the key, e.g. --source-key-env OWM_API_KEY`);
  }
  return name;
}
