/** `bridge setup`: read, plan, and (unless --dry-run) apply the stack. Thin: parse -> engine -> render. */
import { indexStillTrue } from '../resources/tag-search.js';
import { applyStack, planResult, planStack, readStack, type EngineEvent } from '../engine.js';
import { AdoptableError, UsageError, ExitCode } from '../errors.js';
import { typedConfirmation } from '../prompt.js';
import type { Io, Ui } from '../output.js';
import { changeLine, renderPlan, setupJson } from '../render/plan.js';
import { STACK_RESOURCES } from '../resources/index.js';
import { handlerBundle } from '../bundle.js';
import { recordApplied } from '../interrupt.js';
import { readLock } from '../lock.js';
import { lostLock } from '../lock-state.js';
import { forgetReads, lockStack, withStack } from './context.js';
import type { SetupOptions, PreparedSetup } from './options.js';

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

export async function runSetup({ config, lockTimeoutMs, apiKey }: PreparedSetup, options: SetupOptions, io: Io, ui: Ui): Promise<number> {
  if (apiKey) ui.redact(apiKey.reveal());
  ui.working('checking credentials');
  // The function's zip is built while the credentials are checked.
  const bundle = handlerBundle();
  bundle.catch(() => {});
  const inputs = { ...(apiKey ? { apiKey } : {}), keepSourceKey: options.keepSourceKey === true };
  // One tagging-API answer serves every resource's ownership check (resources/tag-search.ts).
  return withStack(config, inputs, ui, async (ctx, held) => {
    ctx.inputs.bundle = await bundle;
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
      else renderPlan(meta, result, ui.chalk, { heading: !ui.sameScreen, verbose: ui.options.verbose }).forEach((line) => ui.out(line));
      printNotes(ctx.notes, ui);
      return options.detailedExitcode && plan.some((change) => change.action !== 'noop') ? ExitCode.changesPending : ExitCode.ok;
    }
    if (plan.some((change) => change.action !== 'noop')) {
      // Changes to make: one run at a time, and what another run did since this read counts.
      const lock = (held.lock = await lockStack(ctx, 'setup', lockTimeoutMs, ui, seen));
      // Read again under the lock when another run may have changed the stack, or when a tag the
      // tagging API's index vouched for is not the stack's any more (its index lags).
      if (!lock.fresh || !(await indexStillTrue(ctx))) {
        forgetReads(ctx);
        ui.working(`reading stack ${config.stack} again under its lock`);
        state = await readStack(ctx, STACK_RESOURCES);
        planStack(ctx, STACK_RESOURCES, state);
      }
    } else if (seen && !seen.holder.released) {
      // Nothing to change, but the lock is held: a killed run's is taken over (acquiring judges it
      // stale) and given back, so none is left held; a live run's is that run's, and stays.
      held.lock = await lockStack(ctx, 'setup', 0, ui, seen).catch(() => undefined);
    }
    const result = await applyStack(ctx, STACK_RESOURCES, state, (event) => eventLine(event, ui));
    if (held.lock?.lost) throw lostLock('setup');
    ui.idle();
    if (ui.options.json) ui.json(setupJson(meta, result, ctx.notes));
    else renderPlan(meta, result, ui.chalk, { heading: !ui.sameScreen, appliedShown: ui.sameScreen }).forEach((line) => ui.out(line));
    printNotes(ctx.notes, ui);
    return ExitCode.ok;
  }, { tagIndex: true });
}
