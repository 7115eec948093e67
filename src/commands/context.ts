/** Turns a validated config into an account and a context, and holds the stack's lock: all before any change. */
import { AwsClients } from '../aws.js';
import { systemClock } from '../retry.js';
import type { StackConfig } from '../config.js';
import { stackNames } from '../names.js';
import { resolveAccount } from '../preflight.js';
import type { Ui } from '../output.js';
import type { SetupInputs, StackContext } from '../resources/types.js';
import { acquireStackLock, type StackLock } from '../lock.js';
import type { LockState } from '../lock-state.js';
import { useTagIndex } from '../resources/tag-search.js';
import { onInterrupt } from '../interrupt.js';
import { awsFailureText } from '../errors.js';

/** `ui` hears --verbose's call log as each call is sent, so a run killed halfway still shows what it did. */
export async function stackContext(config: StackConfig, inputs: SetupInputs, ui: Ui, onProgress: (message: string) => void = () => {}): Promise<StackContext> {
  const settings = {
    region: config.region,
    ...(config.profile ? { profile: config.profile } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
  };
  const account = await resolveAccount(settings);
  const aws = new AwsClients(settings);
  aws.onCall = (call) => ui.verbose(`aws ${call.service} ${call.command}${call.purpose ? ` (${call.purpose})` : ''}`);
  // Each answer under its call's line, indented (the call lines stay as they are for scripts): status, time, request id.
  aws.onAnswer = (call, a) =>
    ui.verbose(`    ${call.service} ${call.command}: ${a.status ?? 'no answer'}${a.error ? ` ${a.error}` : ''} in ${a.ms} ms${a.requestId ? `, request ${a.requestId}` : ''}`);
  return {
    config,
    names: stackNames(config.stack, account, config.region, config.bucket),
    aws,
    refs: {},
    inputs,
    progress: onProgress,
    clock: systemClock,
    notes: [],
  };
}

/** What a run holds while it runs: the stack's lock once taken. */
export interface Held {
  lock?: StackLock;
}

export interface WithStackOptions {
  /** Progress lines of the resource being applied. */
  progress?: (message: string) => void;
  /** Let one tagging-API answer stand in for the tag reads (setup, audit; never teardown). */
  tagIndex?: boolean;
  /** Remove the lock at the end instead of giving it back (teardown: it goes with the stack). */
  removeLock?: boolean;
}

/**
 * The one lifecycle of every command over a stack: a context (credentials checked, the account
 * known), the command's run, and then, however the run ends, the spinner stopped, the lock given
 * back and the SDK clients closed.
 */
export async function withStack<T>(config: StackConfig, inputs: SetupInputs, ui: Ui, run: (ctx: StackContext, held: Held) => Promise<T>, options: WithStackOptions = {}): Promise<T> {
  const ctx = await stackContext(config, inputs, ui, options.progress);
  // Where am I, before any work on the stack: as the AWS console's account and region menus say it.
  ui.progress(`Stack ${ui.chalk.bold(config.stack)} in ${config.region} (account ${ctx.names.account})`);
  if (options.tagIndex) useTagIndex(ctx);
  const held: Held = {};
  try {
    return await run(ctx, held);
  } finally {
    ui.idle();
    await releaseLock(held.lock, ui, options.removeLock ? { remove: true } : {});
    ctx.aws.destroy();
  }
}

/**
 * Takes the stack's lock before the first change (src/lock.ts); Ctrl-C gives it back. Unless the
 * lock is fresh, the caller reads the stack again under it; it releases it when done.
 */
export async function lockStack(ctx: StackContext, command: string, timeoutMs: number, ui: Ui, seen?: LockState | null): Promise<StackLock> {
  ui.working(`locking stack ${ctx.config.stack}`);
  let forget = () => {};
  const lock = await acquireStackLock(ctx, { command, timeoutMs, onRelease: () => forget(), ...(seen !== undefined ? { seen } : {}) });
  forget = onInterrupt(() => lock.release());
  if (lock.broke) ui.err(`${ui.chalk.yellow('note:')} ${lock.broke}`);
  return lock;
}

/** Forgets what an earlier read taught the context, before reading the stack again. */
export function forgetReads(ctx: StackContext): void {
  for (const key of Object.keys(ctx.refs)) delete ctx.refs[key as keyof StackContext['refs']];
  ctx.notes.length = 0;
  // Read again means read directly: the tag index stands in for tag reads only on a first look.
  delete ctx.tagIndex;
}

/** Gives the lock back at the end of a run; a failure to is a note, as the next run breaks it. */
export async function releaseLock(lock: StackLock | undefined, ui: Ui, options: { remove?: boolean } = {}): Promise<void> {
  try {
    await lock?.release(options);
  } catch (error) {
    ui.err(`${ui.chalk.yellow('note:')} could not give back the stack's lock: ${awsFailureText(error)}; the next run takes it over once it is stale`);
  }
}
