/**
 * The pure validators of every setting's value: each returns the value as bridge uses it, or throws
 * a UsageError naming the problem and the fix. src/config.ts applies them to the merged settings.
 */
import { isIP } from 'node:net';
import { keyPlacementOf } from '../handler/core.js';
import { UsageError } from './errors.js';
import { LOG_RETENTION_DAYS, bounds } from './settings.js';
import { defaultBucketName, isKnownRegion, stackNames } from './names.js';

/** How GET /data is protected: SigV4 (IAM) by default, or an API key with a usage plan. NONE is not offered. */
export type ApiAuth = 'aws-iam' | 'api-key';

/** Where the function puts the source API key on each request. */
export interface KeyPlacement {
  in: 'query' | 'header';
  name: string;
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
  const names = stackNames(stack, '000000000000', region);
  for (const name of [names.roleName, names.operatorUser, names.schedulerRoleName]) {
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

/**
 * An EventBridge Scheduler expression for a recurring run: rate(N unit) or cron(6 fields), as
 * Scheduler accepts them (its User Guide, "Schedule types"), checked before any call. at(...) runs
 * once, which is no ingestion schedule. 'none' removes the schedule: null.
 */
export function validateSchedule(value: string): string | null {
  const text = value.trim();
  if (text.toLowerCase() === 'none') return null;
  const forms = "give rate(N minutes|hours|days) (e.g. --schedule 'rate(15 minutes)'), cron(MIN HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK YEAR) (e.g. --schedule 'cron(0 6 * * ? *)'), or none to remove the schedule";
  const problem = scheduleProblem(text);
  if (problem) throw new UsageError(`invalid schedule '${value}': ${problem}; ${forms}`);
  return text;
}

const CRON_FIELDS: { name: string; min: number; max: number; names?: string[]; extra: RegExp }[] = [
  { name: 'minutes', min: 0, max: 59, extra: /^$/ },
  { name: 'hours', min: 0, max: 23, extra: /^$/ },
  { name: 'day-of-month', min: 1, max: 31, extra: /^(\?|L|LW|\d{1,2}W)$/ },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'], extra: /^$/ },
  { name: 'day-of-week', min: 1, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'], extra: /^(\?|L|[1-7]L|[1-7]#[1-5])$/ },
  { name: 'year', min: 1970, max: 2199, extra: /^$/ },
];

/** Pure: what is wrong with a schedule expression, or null. */
export function scheduleProblem(text: string): string | null {
  if (/^at\(/.test(text)) return 'at(...) runs once, and an ingestion schedule recurs';
  const rate = /^rate\((.*)\)$/.exec(text);
  if (rate) {
    const match = /^(\d{1,6}) (minute|minutes|hour|hours|day|days)$/.exec(rate[1] as string);
    if (!match) return 'a rate is a whole number and a unit: minute(s), hour(s) or day(s)';
    const count = Number(match[1]);
    const unit = match[2] as string;
    if (count < 1) return 'a rate is at least 1';
    // Scheduler, as EventBridge rules, wants the singular for 1 and the plural above it.
    if (count === 1 && unit.endsWith('s')) return `write rate(1 ${unit.slice(0, -1)}): the unit is singular for 1`;
    if (count > 1 && !unit.endsWith('s')) return `write rate(${count} ${unit}s): the unit is plural above 1`;
    return null;
  }
  const cron = /^cron\((.*)\)$/.exec(text);
  if (!cron) return 'it is neither rate(...) nor cron(...)';
  const fields = (cron[1] as string).trim().split(/\s+/);
  if (fields.length !== 6) return `a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), this one has ${fields.length}`;
  for (const [i, field] of fields.entries()) {
    const spec = CRON_FIELDS[i] as (typeof CRON_FIELDS)[number];
    if (!cronFieldValid(field.toUpperCase(), spec)) return `the ${spec.name} field '${field}' is not valid (${spec.min}-${spec.max}${spec.names ? ` or ${spec.names[0]}-${spec.names.at(-1)}` : ''}, with , - * /)`;
  }
  const [dayOfMonth, dayOfWeek] = [fields[2], fields[4]];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) return "exactly one of day-of-month and day-of-week must be '?'";
  return null;
}

function cronFieldValid(field: string, spec: (typeof CRON_FIELDS)[number]): boolean {
  if (spec.extra.test(field)) return true;
  const value = (token: string): number | null => {
    const named = spec.names?.indexOf(token) ?? -1;
    if (named >= 0) return named + 1;
    if (!/^\d{1,4}$/.test(token)) return null;
    const number = Number(token);
    return number >= spec.min && number <= spec.max ? number : null;
  };
  return field.split(',').every((part) => {
    const [range, step, ...rest] = part.split('/');
    if (rest.length > 0 || range === undefined) return false;
    if (step !== undefined && !(/^\d{1,4}$/.test(step) && Number(step) >= 1)) return false;
    if (range === '*') return true;
    const ends = range.split('-');
    if (ends.length > 2) return false;
    const numbers = ends.map(value);
    return numbers.every((n) => n !== null);
  });
}

/** A Lambda function's name, as its API takes one (not an ARN): `flag` names where it came from. */
export function validateFunctionName(name: string, flag: string): string {
  if (!/^[a-zA-Z0-9-_]{1,64}$/.test(name)) throw new UsageError(`invalid ${flag} '${name}': give the function's name (letters, digits, - and _, up to 64), as in aws lambda get-function --function-name`);
  return name;
}
