/**
 * `bridge teardown`: remove exactly what the stack owns, in reverse dependency order. Data (the
 * bucket's object versions, the logs, and the key they are encrypted with) stays unless
 * --delete-data; the key is only ever scheduled for deletion. Safe to run again after any failure.
 */
import { destroyStack, planTeardown, readStackTolerant, teardownStep, type TeardownStep } from '../engine.js';
import { recordApplied } from '../interrupt.js';
import { typedConfirmation } from '../prompt.js';
import { taggedArns } from '../resources/tag-search.js';
import { BridgeError, ExitCode, UsageError } from '../errors.js';
import type { Io, Ui } from '../output.js';
import { countVersions } from '../resources/bucket-data.js';
import { apiExecutionLogGroup, earlierExecutionLogGroups } from '../resources/log-group.js';
import { STACK_RESOURCES, liveOf } from '../resources/index.js';
import { foreignMembers } from '../resources/operators.js';
import type { StackContext, TeardownOptions } from '../resources/types.js';
import { readLock } from '../lock.js';
import { lostLock } from '../lock-state.js';
import { lockStack, withStack } from './context.js';
import { renderTeardown, type TeardownJson } from '../render/teardown.js';
import type { TeardownCliOptions, PreparedTeardown } from './options.js';

/** The stack as teardown sees it: live state, the data the bucket holds, and the steps in order. */
async function readForTeardown(ctx: StackContext, deleteData: boolean, keyDeletionDays: number, dryRun: boolean) {
  const state = await readStackTolerant(ctx, STACK_RESOURCES);
  // What is kept is counted for the message; what goes is counted as it is deleted.
  const bucketVersions = state.lives.get('bucket') ? await countVersions(ctx, deleteData && !dryRun) : 0;
  const teardownOptions: TeardownOptions = { deleteData, keyDeletionDays, bucketVersions };
  const steps = planTeardown(ctx, STACK_RESOURCES, state.lives, state.errors, teardownOptions);
  // Execution logs of the stack's earlier APIs (kept by an earlier teardown) go as the data goes.
  const current = liveOf(state.lives, 'api-execution-log-group')?.name ?? null;
  const earlier = (await earlierExecutionLogGroups(ctx, current)).flatMap((group) => teardownStep(apiExecutionLogGroup, group.name, group, teardownOptions) ?? []);
  const keyStep = steps.findIndex((step) => step.resource.kind === 'kms-key');
  steps.splice(keyStep < 0 ? steps.length : keyStep, 0, ...earlier);
  return { state, steps, teardownOptions };
}

/** What a dry run says a removal takes with it: the data destroyed, the key's deletion date, the people taken out of the group. */
export function dryRunNote(kind: string, facts: { others: string[]; versions: number; keyDeletionDays: number; now: Date }): string | undefined {
  if (kind === 'operators' && facts.others.length > 0) return `other members would be taken out of the group: ${facts.others.join(', ')}`;
  // A negative count: there are some, not counted (a real run counts them as it deletes them).
  if (kind === 'bucket' && facts.versions < 0) return 'with every object version and delete marker in it, destroyed for good';
  if (kind === 'bucket' && facts.versions > 0) return `with its ${facts.versions} object version${facts.versions === 1 ? '' : 's'} and delete markers, destroyed for good`;
  if (kind === 'kms-key') {
    const on = new Date(facts.now.getTime() + facts.keyDeletionDays * 86_400_000).toISOString().slice(0, 10);
    return `deletion scheduled for ${on} (in ${facts.keyDeletionDays} days; aws kms cancel-key-deletion stops it until then)`;
  }
  return undefined;
}

type TeardownMeta = Pick<TeardownJson, 'stack' | 'region' | 'account' | 'dryRun'>;

/** The steps as the report lists them: each removal with what it takes along (`noteFor`), what stays and why, what is gone. */
function reportOf(meta: TeardownMeta, steps: readonly TeardownStep[], noteFor: (kind: string) => string | undefined = () => undefined): TeardownJson {
  const entry = (s: TeardownStep) => ({ resource: s.resource.kind, name: s.name });
  return {
    ...meta,
    removed: steps.filter((s) => s.action === 'remove').map((s) => {
      const note = noteFor(s.resource.kind);
      return { ...entry(s), ...(note ? { note } : {}) };
    }),
    retained: steps.filter((s) => s.action === 'retain').map((s) => ({ ...entry(s), reason: s.reason as string })),
    absent: steps.filter((s) => s.action === 'absent').map(entry),
  };
}

/** As terraform destroy asks: the plan (what goes, what stays) first, then a typed answer. */
async function confirm(io: Io, ui: Ui, plan: TeardownJson): Promise<void> {
  for (const line of renderTeardown({ ...plan, absent: [] }, titleOf, ui.chalk, { heading: false, planOnly: true })) ui.err(line);
  ui.err('');
  const typed = await typedConfirmation(io, `Type the stack name (${plan.stack}) to remove it from ${plan.region} (account ${plan.account}): `, plan.stack, 'cancelled, nothing was removed');
  if (!typed) throw new UsageError('the name typed does not match the stack: nothing was removed');
  ui.err('');
}

export async function runTeardown({ config, lockTimeoutMs, keyDeletionDays }: PreparedTeardown, options: TeardownCliOptions, io: Io, ui: Ui): Promise<number> {
  const progress = (message: string) => ui.progress(ui.chalk.dim(`  ${message}`));
  // The lock goes with the stack at the end (data kept or not: a later setup makes a new one).
  return withStack(config, {}, ui, async (ctx, held) => {
    ui.working(`reading stack ${config.stack}`);
    // The lock first: its version then says whether another run changed the stack after this read.
    const seen = await readLock(ctx);
    const first = await readForTeardown(ctx, options.deleteData === true, keyDeletionDays, options.dryRun === true);
    const { state } = first;
    let { steps, teardownOptions } = first;
    ui.idle();
    if (steps.every((s) => s.action === 'absent') && state.errors.size === 0) {
      // Nothing by name: a typo in --stack or --region, unless something tagged for the stack is
      // still there (a key pending deletion after an earlier teardown).
      const tagged = await taggedArns(ctx, null);
      if (tagged !== null && tagged.length === 0) {
        throw new UsageError(`no resource of stack ${config.stack} exists in ${config.region} (account ${ctx.names.account}): nothing to remove; check --stack and --region`);
      }
    }
    // People added to the stack's group by hand lose what it gives them: never without --yes.
    const others = foreignMembers(liveOf(state.lives, 'operators'), ctx.names.operatorUser);
    if (others.length > 0 && !options.yes && !options.dryRun) {
      throw new UsageError(
        `the operators group ${ctx.names.operatorGroup} also holds ${others.length} user${others.length === 1 ? '' : 's'} the stack did not put there (${others.join(', ')}); ` +
          'teardown would take them out of it with the group. Nothing was removed: move them elsewhere first, or run again with --yes to go on',
      );
    }
    const meta = { stack: config.stack, region: config.region, account: ctx.names.account, dryRun: options.dryRun === true };
    // A real run counts the versions as it deletes them (-1: some, not counted here).
    const noteFor = (versions: number) => (kind: string) => dryRunNote(kind, { others, versions, keyDeletionDays, now: new Date() });
    if (!options.dryRun && steps.some((s) => s.action === 'remove')) {
      if (!options.yes) await confirm(io, ui, reportOf({ ...meta, dryRun: true }, steps, noteFor(options.deleteData && teardownOptions.bucketVersions > 0 ? -1 : 0)));
      // One run at a time; read again under the lock, as another run may have removed or added since.
      const lock = (held.lock = await lockStack(ctx, 'teardown', lockTimeoutMs, ui, seen));
      if (!lock.fresh) {
        ui.working(`reading stack ${config.stack} again under its lock`);
        ({ steps, teardownOptions } = await readForTeardown(ctx, options.deleteData === true, keyDeletionDays, false));
        ui.idle();
      }
    } else if (!options.dryRun && seen !== null) {
      // Only the lock is left (released, or a killed run's): taken over and removed; a live one stops here.
      const lock = (held.lock = await lockStack(ctx, 'teardown', lockTimeoutMs, ui, seen));
      if (!lock.fresh) {
        // Waited for a run that may have set the stack up meanwhile: nothing is removed unasked.
        ({ steps, teardownOptions } = await readForTeardown(ctx, options.deleteData === true, keyDeletionDays, false));
        if (steps.some((s) => s.action === 'remove')) {
          throw new BridgeError(`another bridge run changed stack ${config.stack} while this teardown waited for it: nothing was removed; run teardown again`);
        }
      }
    }
    // A dry run lists what it would remove; a real run, what it did remove (below).
    const json = reportOf(meta, steps, noteFor(teardownOptions.bucketVersions));
    const c = ui.chalk;
    const width = Math.max(...steps.map((s) => s.resource.title.length));
    if (!options.dryRun) {
      json.removed = [];
      const removed = await destroyStack(ctx, steps, teardownOptions, (event) => {
        if (event.type === 'destroy-start') {
          ui.working(`removing ${event.step.resource.title} ${event.step.name}`);
          return;
        }
        ui.idle();
        recordApplied(`${event.step.resource.title} ${event.step.name} removed`);
        ui.progress(`${c.red('-')} ${event.step.resource.title.padEnd(width)} ${event.step.name}  removed`);
      });
      for (const { step, note } of removed) json.removed.push({ resource: step.resource.kind, name: step.name, ...(note ? { note } : {}) });
    }
    if (held.lock?.lost) throw lostLock('teardown');
    if (ui.options.json) {
      ui.json(json);
      return ExitCode.ok;
    }
    // What was removed was shown as it went, on this screen: the report adds what stays and the counts.
    renderTeardown(json, titleOf, c, { heading: !ui.sameScreen, removedShown: ui.sameScreen && !options.dryRun }).forEach((line) => ui.out(line));
    return ExitCode.ok;
  }, { progress, removeLock: true });
}

function titleOf(kind: string): string {
  return STACK_RESOURCES.find((r) => r.kind === kind)?.title ?? kind;
}
