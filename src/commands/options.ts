/**
 * The light half of every command: each option and setting checked, and the config made, before
 * the command's module and the AWS SDK load, so a usage error answers as fast as --help.
 */
import { readFileSync } from 'node:fs';
import { loadConfigFile, mergeSettings, resolveConfig, validateEnvVarName, validateFunctionName, type StackConfig } from '../config.js';
import { DEFAULTS, envSettings, settingsFromOptions, type RawSettings } from '../settings.js';
import { UsageError } from '../errors.js';
import type { Io } from '../output.js';
import { profileRegion } from '../profile-region.js';
import { Secret } from '../secret.js';

export interface SetupOptions {
  dryRun?: boolean;
  /** With --dry-run: exit 2 when changes are pending (terraform plan -detailed-exitcode). */
  detailedExitcode?: boolean;
  bucket?: string;
  dataPrefix?: string;
  noncurrentDays?: string;
  logRetentionDays?: string;
  functionTimeout?: string;
  functionMemory?: string;
  reservedConcurrency?: string;
  sourceUrl?: string;
  sourceKeyIn?: string;
  sourceKeyEnv?: string;
  sourceKeyStdin?: boolean;
  /** The first names of --source-key-env and --source-key-stdin, still accepted. */
  apiKeyEnv?: string;
  apiKeyStdin?: boolean;
  operatorAccessKeyFile?: string;
  apiAuth?: string;
  apiRateLimit?: string;
  apiBurstLimit?: string;
  apiDailyQuota?: string;
  apiKeyFile?: string;
  configureAccountLogging?: boolean;
  force?: boolean;
  adopt?: boolean;
  lockTimeout?: string;
  keepSourceKey?: boolean;
}

export interface TeardownCliOptions {
  yes?: boolean;
  dryRun?: boolean;
  deleteData?: boolean;
  keyDeletionDays?: string;
  lockTimeout?: string;
}

export interface InvokeOptions {
  payload?: string;
  tail?: boolean;
  follow?: boolean;
  local?: boolean;
  viaApi?: boolean;
  apiKeyFile?: string;
}

export interface LogsOptions {
  since?: string;
  filter?: string;
  follow?: boolean;
  api?: boolean;
}

const SINCE_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `--since`: a duration back from now (30s, 10m, 2h, 1d, 1w) or an ISO 8601 time; as ms since the epoch. */
export function parseSince(value: string | undefined, now = Date.now()): number {
  if (value === undefined) return now - 10 * 60_000;
  const duration = /^(\d+)(s|m|h|d|w)$/.exec(value.trim());
  if (duration) return now - Number(duration[1]) * (SINCE_UNITS[duration[2] as string] as number) * 1000;
  const at = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim()) ? Date.parse(value) : NaN;
  if (Number.isNaN(at)) throw new UsageError(`invalid --since '${value}': give a duration back from now (30s, 10m, 2h, 1d, 1w) or a time (2026-12-03T09:00:00Z)`);
  if (at > now) throw new UsageError(`--since ${value} is in the future: give a time before now`);
  return at;
}

export async function prepareLogs(globals: GlobalOptions, options: LogsOptions, env: NodeJS.ProcessEnv, note: Note) {
  const since = parseSince(options.since);
  if (options.filter !== undefined && options.filter.trim() === '') throw new UsageError('--filter is empty: give a filter pattern (a word, "a phrase", or { $.level = "error" })');
  const config = await configFrom(globals, {}, env, note);
  return { config, request: { since, follow: options.follow === true, api: options.api === true, ...(options.filter ? { filter: options.filter } : {}) } };
}

export interface GlobalOptions {
  /** The config file's environment (its "environments" key). */
  env?: string;
  stack?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  config?: string;
  json?: boolean;
  color?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

/**
 * Flags over the environment over bridge.config.json; the region then falls back to the profile's
 * (as the AWS CLI does), and only then to us-east-1, which `note` is told about.
 */
export async function configFrom(
  globals: GlobalOptions,
  commandSettings: RawSettings,
  env: NodeJS.ProcessEnv,
  note: (message: string) => void = () => {},
): Promise<StackConfig> {
  // --env, else BRIDGE_ENV: which of the file's environments.
  const environment = globals.env ?? (env.BRIDGE_ENV || undefined);
  const file = loadConfigFile(globals.config, process.cwd(), environment);
  const flags: RawSettings = { ...settingsFromOptions(globals as Record<string, unknown>, 'global'), ...commandSettings };
  const merged = mergeSettings(file, envSettings(env), flags);
  if (!merged.region) {
    merged.region = await profileRegion(merged.profile, env);
    if (!merged.region) {
      merged.region = DEFAULTS.region;
      note(`no region given (--region, AWS_REGION, AWS_DEFAULT_REGION or the profile's region): using ${DEFAULTS.region}`);
    }
  }
  return resolveConfig(merged);
}

const MAX_LOCK_TIMEOUT_S = 3600;

/** `--lock-timeout`: seconds, or a number with s or m ("90", "30s", "5m"); 0 means do not wait. */
export function parseLockTimeout(value: string | undefined): number {
  if (value === undefined) return 0;
  const match = /^(\d+)(s|m)?$/.exec(value.trim());
  const seconds = match ? Number(match[1]) * (match[2] === 'm' ? 60 : 1) : NaN;
  if (!match || seconds > MAX_LOCK_TIMEOUT_S) {
    throw new UsageError(`invalid --lock-timeout '${value}': give seconds or minutes up to 60m, e.g. 30s or 5m (0 fails at once when another run holds the stack)`);
  }
  return seconds * 1000;
}

export function parseKeyDeletionDays(value: string | undefined): number {
  if (value === undefined) return 30;
  const days = Number(value);
  if (!/^\d+$/.test(value) || days < 7 || days > 30) throw new UsageError(`invalid --key-deletion-days '${value}': KMS waits 7 to 30 days before deleting a key`);
  return days;
}

export function readPayload(value: string | undefined): string {
  if (value === undefined) return '{}';
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = readFileSync(value.slice(1), 'utf8');
    } catch {
      throw new UsageError(`--payload ${value}: cannot read ${value.slice(1)}; give a readable JSON file after @`);
    }
  }
  try {
    JSON.parse(text);
  } catch {
    throw new UsageError(`--payload is not valid JSON: give a JSON document such as '{}' or @event.json`);
  }
  return text;
}


/** How a command tells the user about a default it chose ("no region given: using us-east-1"). */
export type Note = (message: string) => void;

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** The source API key, from an environment variable or a pipe; never from argv. */
export async function readApiKey(options: SetupOptions, io: Pick<Io, 'env' | 'stdin'>): Promise<Secret | undefined> {
  const fromEnv = options.sourceKeyEnv ?? options.apiKeyEnv;
  const fromStdin = options.sourceKeyStdin === true || options.apiKeyStdin === true;
  if (fromEnv && fromStdin) throw new UsageError('give the source API key one way: --source-key-env NAME or --source-key-stdin, not both');
  if (fromEnv) {
    const name = validateEnvVarName(fromEnv);
    const value = io.env[name];
    if (!value) throw new UsageError(`environment variable ${name} (from --source-key-env) is not set or is empty: export it first`);
    return new Secret(value.trim());
  }
  if (fromStdin) {
    if (io.stdin.isTTY) {
      throw new UsageError("--source-key-stdin reads the key from a pipe, e.g. 'pass show owm | bridge setup --source-key-stdin', or use --source-key-env NAME");
    }
    const value = (await readAll(io.stdin)).replace(/\r?\n$/, '');
    if (!value.trim()) throw new UsageError('--source-key-stdin got nothing on standard input: pipe the key in');
    if (value.includes('\n')) throw new UsageError('--source-key-stdin got more than one line: pipe only the key');
    return new Secret(value.trim());
  }
  return undefined;
}

export interface PreparedSetup {
  config: StackConfig;
  lockTimeoutMs: number;
  apiKey?: Secret;
}

export async function prepareSetup(globals: GlobalOptions, options: SetupOptions, io: Pick<Io, 'env' | 'stdin'>, note: Note): Promise<PreparedSetup> {
  if (options.detailedExitcode && !options.dryRun) throw new UsageError('--detailed-exitcode goes with --dry-run: setup --dry-run --detailed-exitcode exits 2 when changes are pending');
  // Setup's own settings (src/settings.ts), merged with the file's and the environment's.
  const config = await configFrom(globals, settingsFromOptions(options as Record<string, unknown>, 'setup'), io.env, note);
  const lockTimeoutMs = parseLockTimeout(options.lockTimeout);
  const apiKey = await readApiKey(options, io);
  return { config, lockTimeoutMs, ...(apiKey ? { apiKey } : {}) };
}

export interface AdoptOptions extends SetupOptions {
  fromFunction: string;
  /** The old function's variables holding the source URL and its key, where the guess is not sure. */
  sourceUrlVar?: string;
  sourceKeyVar?: string;
  /** Also retire what the plan lists of the old stack (each step reversible). */
  retireOld?: boolean;
  yes?: boolean;
}

export interface PreparedAdopt {
  config: StackConfig;
  lockTimeoutMs: number;
}

/** adopt: setup's settings (the source comes from the old function), checked before any call. */
export async function prepareAdopt(globals: GlobalOptions, options: AdoptOptions, interactive: boolean, io: Pick<Io, 'env'>, note: Note): Promise<PreparedAdopt> {
  validateFunctionName(options.fromFunction, '--from-function');
  for (const [flag, value] of [['--source-url-var', options.sourceUrlVar], ['--source-key-var', options.sourceKeyVar]] as const) {
    if (value !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) throw new UsageError(`invalid ${flag} '${value}': give the name of one of the old function's environment variables, e.g. ${flag} API_KEY`);
  }
  if (!options.dryRun && !options.yes && !interactive) throw new UsageError('adopt builds a stack (and with --retire-old changes the old one): without a terminal to confirm in, pass --yes (or --dry-run to see the plan); nothing was changed');
  if (options.dryRun && options.yes) throw new UsageError('--dry-run changes nothing: --yes has nothing to confirm');
  if (globals.stack === undefined) throw new UsageError('adopt needs the new stack\'s name: give --stack NAME (the old stack keeps its own)');
  const config = await configFrom(globals, settingsFromOptions(options as unknown as Record<string, unknown>, 'setup'), io.env, note);
  return { config, lockTimeoutMs: parseLockTimeout(options.lockTimeout) };
}

export interface PreparedTeardown {
  config: StackConfig;
  lockTimeoutMs: number;
  keyDeletionDays: number;
}

export async function prepareTeardown(globals: GlobalOptions, options: TeardownCliOptions, interactive: boolean, env: NodeJS.ProcessEnv, note: Note): Promise<PreparedTeardown> {
  const keyDeletionDays = parseKeyDeletionDays(options.keyDeletionDays);
  const lockTimeoutMs = parseLockTimeout(options.lockTimeout);
  if (!options.dryRun && !options.yes && !interactive) {
    throw new UsageError('teardown removes resources: without a terminal to confirm in, pass --yes (nothing was removed)');
  }
  return { config: await configFrom(globals, {}, env, note), lockTimeoutMs, keyDeletionDays };
}

export interface PreparedInvoke {
  config: StackConfig;
  /** The event, as JSON text. */
  event: string;
}

export async function prepareInvoke(globals: GlobalOptions, options: InvokeOptions, env: NodeJS.ProcessEnv, note: Note): Promise<PreparedInvoke> {
  if (options.viaApi && options.local) throw new UsageError('choose --via-api (call the deployed API) or --local (run the handler here), not both');
  if (options.apiKeyFile && !options.viaApi) throw new UsageError('--api-key-file goes with --via-api');
  if (options.viaApi && options.payload) throw new UsageError('--payload does not apply to --via-api: the API calls the function with the GET request itself');
  const event = readPayload(options.payload);
  const config = await configFrom(globals, {}, env, note);
  if (options.viaApi && config.endpoint) {
    throw new UsageError(
      `the endpoint ${config.endpoint} cannot serve API calls (the local AWS cannot run a Lambda function behind API Gateway): use bridge invoke --local here, or --via-api against AWS`,
    );
  }
  return { config, event };
}
