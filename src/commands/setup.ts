/** `bridge setup`: read, plan, and (unless --dry-run) apply the stack. Thin: parse -> engine -> render. */
import { applyStack, planResult, planStack, readStack, type EngineEvent } from '../engine.js';
import { AdoptableError, UsageError, ExitCode } from '../errors.js';
import { typedConfirmation } from '../prompt.js';
import type { Io, Ui } from '../output.js';
import { changeLine, renderPlan, setupJson } from '../render/plan.js';
import { STACK_RESOURCES } from '../resources/index.js';
import { validateEnvVarName } from '../config.js';
import { handlerBundle } from '../bundle.js';
import { Secret } from '../secret.js';
import { recordApplied } from '../interrupt.js';
import { lostLock, parseLockTimeout, readLock, type StackLock } from '../lock.js';
import { configFrom, forgetReads, lockStack, releaseLock, stackContext, type GlobalOptions } from './context.js';

export interface SetupOptions {
  dryRun?: boolean;
  bucket?: string;
  dataPrefix?: string;
  noncurrentDays?: string;
  logRetentionDays?: string;
  functionTimeout?: string;
  functionMemory?: string;
  reservedConcurrency?: string;
  sourceUrl?: string;
  sourceKeyIn?: string;
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

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** The source API key, from an environment variable or a pipe; never from argv. */
export async function readApiKey(options: SetupOptions, io: Io): Promise<Secret | undefined> {
  if (options.apiKeyEnv && options.apiKeyStdin) throw new UsageError('give the API key one way: --api-key-env NAME or --api-key-stdin, not both');
  if (options.apiKeyEnv) {
    const name = validateEnvVarName(options.apiKeyEnv);
    const value = io.env[name];
    if (!value) throw new UsageError(`environment variable ${name} (from --api-key-env) is not set or is empty: export it first`);
    return new Secret(value.trim());
  }
  if (options.apiKeyStdin) {
    if (io.stdin.isTTY) {
      throw new UsageError("--api-key-stdin reads the key from a pipe, e.g. 'pass show owm | bridge setup --api-key-stdin', or use --api-key-env NAME");
    }
    const value = (await readAll(io.stdin)).replace(/\r?\n$/, '');
    if (!value.trim()) throw new UsageError('--api-key-stdin got nothing on standard input: pipe the key in');
    if (value.includes('\n')) throw new UsageError('--api-key-stdin got more than one line: pipe only the key');
    return new Secret(value.trim());
  }
  return undefined;
}

function eventLine(event: EngineEvent, ui: Ui): void {
  const c = ui.chalk;
  switch (event.type) {
    case 'apply-start':
      ui.working(`${event.change.title} ${event.change.name}: ${event.change.action === 'create' ? 'creating' : 'updating'}`);
      break;
    case 'progress':
      ui.progress(c.dim(`  ${event.resource}: ${event.message}`));
      break;
    case 'apply-done':
      recordApplied(`${event.change.title} ${event.change.name} ${event.change.action}d`);
      ui.progress(changeLine(event.change, c).replace(/create$|update$/, (a) => `${a}d`));
      break;
    case 'apply-failed':
      ui.err(`${c.red('x')} ${event.change.title} ${event.change.name}  ${c.red('failed')}`);
      break;
    case 'skipped':
      ui.progress(`${c.dim('-')} ${event.change.title} ${event.change.name}  ${c.dim(event.because)}`);
      break;
    case 'read':
      break;
  }
}

function printNotes(notes: string[], ui: Ui): void {
  for (const note of notes) ui.err(`${ui.chalk.yellow('note:')} ${note}`);
}

export async function runSetup(globals: GlobalOptions, options: SetupOptions, io: Io, ui: Ui): Promise<number> {
  const config = await configFrom(
    globals,
    {
      bucket: options.bucket,
      dataPrefix: options.dataPrefix,
      noncurrentVersionDays: options.noncurrentDays,
      logRetentionDays: options.logRetentionDays,
      functionTimeout: options.functionTimeout,
      functionMemory: options.functionMemory,
      reservedConcurrency: options.reservedConcurrency,
      sourceUrl: options.sourceUrl,
      sourceKeyIn: options.sourceKeyIn,
      operatorAccessKeyFile: options.operatorAccessKeyFile,
      apiAuth: options.apiAuth,
      apiRateLimit: options.apiRateLimit,
      apiBurstLimit: options.apiBurstLimit,
      apiDailyQuota: options.apiDailyQuota,
      apiKeyFile: options.apiKeyFile,
      configureAccountLogging: options.configureAccountLogging,
      force: options.force,
      adopt: options.adopt,
    },
    io.env,
    (message) => ui.err(`${ui.chalk.yellow('note:')} ${message}`),
  );
  const lockTimeoutMs = parseLockTimeout(options.lockTimeout);
  const apiKey = await readApiKey(options, io);
  if (apiKey) ui.redact(apiKey.reveal());
  ui.working('checking credentials');
  const bundle = await handlerBundle();
  const ctx = await stackContext(config, { ...(apiKey ? { apiKey } : {}), bundle, keepSourceKey: options.keepSourceKey === true }, ui);
  let lock: StackLock | undefined;
  try {
    ui.working(`reading stack ${config.stack}`);
    // The lock first: its version then says whether another run changed the stack after this read.
    const seen = await readLock(ctx);
    let state = await readStack(ctx, STACK_RESOURCES).catch(async (error: unknown) => {
      // On a terminal, what an interrupted setup left is offered for a typed yes; never taken silently.
      if (!(error instanceof AdoptableError) || !io.stdin.isTTY || ui.options.json) throw error;
      ui.idle();
      ui.err(`${ui.chalk.yellow('found:')} ${error.finding}.`);
      const typed = await typedConfirmation(io, `Type its name (${error.resourceName}) to take it over for stack ${config.stack}, or press Enter to stop: `, error.resourceName, 'cancelled, nothing was changed');
      if (!typed) throw new UsageError(`${error.resourceName} was not taken over: nothing was changed. Run setup with --adopt to take it over, or choose another --bucket`);
      config.adopt = true;
      forgetReads(ctx);
      ui.working(`reading stack ${config.stack}`);
      return readStack(ctx, STACK_RESOURCES);
    });
    const plan = planStack(ctx, STACK_RESOURCES, state);
    const meta = { stack: config.stack, region: config.region, account: ctx.names.account, dryRun: options.dryRun === true };
    if (options.dryRun) {
      ui.idle();
      const result = planResult(ctx, STACK_RESOURCES, plan);
      if (ui.options.json) ui.json(setupJson(meta, result, ctx.notes));
      else renderPlan(meta, result, ui.chalk).forEach((line) => ui.out(line));
      printNotes(ctx.notes, ui);
      return ExitCode.ok;
    }
    if (plan.some((change) => change.action !== 'noop')) {
      // Changes to make: one run at a time, and what another run did since this read counts.
      lock = await lockStack(ctx, 'setup', lockTimeoutMs, ui, seen);
      if (!lock.fresh) {
        forgetReads(ctx);
        ui.working(`reading stack ${config.stack} again under its lock`);
        state = await readStack(ctx, STACK_RESOURCES);
        planStack(ctx, STACK_RESOURCES, state);
      }
    } else if (seen && !seen.holder.released) {
      // Nothing to change, but the lock is held: a killed run's is taken over (acquiring judges it
      // stale) and given back, so none is left held; a live run's is that run's, and stays.
      lock = await lockStack(ctx, 'setup', 0, ui, seen).catch(() => undefined);
    }
    const result = await applyStack(ctx, STACK_RESOURCES, state, (event) => eventLine(event, ui));
    if (lock?.lost) throw lostLock('setup');
    ui.idle();
    if (ui.options.json) ui.json(setupJson(meta, result, ctx.notes));
    else renderPlan(meta, result, ui.chalk).forEach((line) => ui.out(line));
    printNotes(ctx.notes, ui);
    return ExitCode.ok;
  } finally {
    ui.idle();
    await releaseLock(lock, ui);
    ctx.aws.destroy();
  }
}
