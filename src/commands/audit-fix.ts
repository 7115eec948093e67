/**
 * `bridge audit --fix`: the resources behind the failing controls re-applied through setup's own
 * code, as `terraform apply` does it: the plan first, then a typed "yes" on a terminal (or --yes),
 * and --dry-run to stop at the plan. It puts back what drifted and never creates: a resource that
 * is missing (a stack that is not in this region, half a stack) is setup's to make, so --fix says
 * so and exits 2 with nothing changed.
 */
import type { AuditReport, Control } from '../audit/types.js';
import { applyStack, planStack, type PlannedChange, type StackState } from '../engine.js';
import { UsageError } from '../errors.js';
import type { Io, Ui } from '../output.js';
import { typedConfirmation } from '../prompt.js';
import { changeLine, fieldLines } from '../render/plan.js';
import { STACK_RESOURCES } from '../resources/index.js';
import type { StackContext } from '../resources/types.js';

export interface FixPlan {
  changes: PlannedChange[];
  /** Failing controls --fix leaves as they are, each with why and what to do instead. */
  unfixable: string[];
}

/** What --fix would change for the failing controls: read-only. */
export function planFix(ctx: StackContext, report: AuditReport, controls: readonly Control[], state: StackState): FixPlan {
  const failing = controls.filter((c) => report.results.some((r) => r.id === c.id && r.status === 'FAIL'));
  const kinds = new Set(failing.flatMap((c) => c.fixes));
  const unfixable: string[] = [];
  // Every input check, for what it says (the account's logging role is missing, say): only those of
  // the kinds to fix can stop them.
  const before = ctx.notes.length;
  for (const resource of STACK_RESOURCES) {
    try {
      resource.check?.(ctx, state.lives.get(resource.kind) ?? null, state.lives);
    } catch (error) {
      if (!kinds.delete(resource.kind)) continue;
      unfixable.push(`${resource.title}: ${(error as Error).message} (run bridge setup)`);
    }
  }
  const notes = [...new Set(ctx.notes.slice(before))];
  const changes = kinds.size > 0 ? planStack(ctx, STACK_RESOURCES, state, kinds).filter((c) => c.action !== 'noop') : [];
  ctx.notes.length = before;
  const changing = new Set(changes.map((c) => c.resource));
  for (const control of failing) {
    if (control.fixes.length === 0) unfixable.push(`${control.id}: setup does not repair this; ${control.remediation}`);
    else if (!control.fixes.some((kind) => changing.has(kind))) {
      // Setup's code finds nothing to change: what stands in the way is something it may not touch.
      unfixable.push(`${control.id}: setup's code has nothing to change for it here: ${notes.length > 0 ? notes.join('; ') : control.remediation}`);
    }
  }
  return { changes, unfixable };
}

export function planLines(plan: FixPlan, ui: Ui): string[] {
  const lines: string[] = [];
  const titleWidth = Math.max(0, ...plan.changes.map((c) => c.title.length));
  if (plan.changes.length > 0) {
    lines.push(ui.chalk.bold(`Plan to fix (${plan.changes.length} resource${plan.changes.length === 1 ? '' : 's'}):`));
    for (const change of plan.changes) lines.push(changeLine(change, ui.chalk, { title: titleWidth, name: 0 }), ...fieldLines(change, ui.chalk));
  } else {
    lines.push(ui.chalk.bold('Nothing --fix can change.'));
  }
  for (const note of plan.unfixable) lines.push(`${ui.chalk.yellow('not fixed:')} ${note}`);
  return lines;
}

/** Refuses a plan that would create: --fix repairs a stack, it does not build one. */
export function refuseCreation(plan: FixPlan, ctx: StackContext): void {
  const creates = plan.changes.filter((c) => c.action === 'create');
  if (creates.length === 0) return;
  throw new UsageError(
    `--fix puts back what drifted and creates nothing, but ${creates.map((c) => `${c.title} ${c.name}`).join(', ')} ${creates.length === 1 ? 'does' : 'do'} not exist in ${ctx.config.region}: ` +
      'run bridge setup to create the stack (with the --region it lives in); nothing was changed',
  );
}

/** A typed "yes" on a terminal, as terraform apply asks for it. */
export async function confirmFix(io: Io, ui: Ui): Promise<void> {
  const typed = await typedConfirmation(io, 'Apply these fixes? Only "yes" is accepted: ', 'yes', 'cancelled, nothing was changed');
  if (!typed) throw new UsageError('not confirmed: nothing was changed');
  ui.err('');
}

/** Applies the plan through setup's code, showing each change as it lands. */
export async function applyFix(ctx: StackContext, plan: FixPlan, state: StackState, ui: Ui): Promise<void> {
  const kinds = new Set(plan.changes.map((c) => c.resource));
  const result = await applyStack(ctx, STACK_RESOURCES, state, (event) => {
    if (event.type === 'apply-start') ui.working(`fixing ${event.change.title}`);
  }, kinds);
  ui.idle();
  for (const change of result.changes.filter((c) => c.action !== 'noop')) {
    ui.err(changeLine(change, ui.chalk).replace(/update$/, 'updated'));
  }
}
