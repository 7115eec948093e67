/**
 * `bridge status` (alias `outputs`): the stack's resources with their ARNs, the invoke URL, the
 * newest stored object and its age, the function's last error, and whether setup would change
 * anything. Read-only: it takes no lock and makes no mutating call.
 */
import { handlerBundle } from '../bundle.js';
import { planStack, readStackTolerant, type StackState } from '../engine.js';
import { ExitCode, awsFailureText } from '../errors.js';
import type { Ui } from '../output.js';
import { STACK_RESOURCES } from '../resources/index.js';
import { scopedContexts } from '../resources/facts.js';
import { isStackOwned, type StackContext } from '../resources/types.js';
import { KNOWN_AFTER_APPLY } from '../names.js';
import { newestObjectKeys } from '../audit/newest-objects.js';
import { s3Lister } from '../audit/snapshot.js';
import { readLogWindow } from '../logs/follow.js';
import type { LogEvent } from '../logs/lines.js';
import { ERROR_FILTER_PATTERN, handlerLine, isErrorLine, lineText, requestIdOf } from '../logs/lines.js';
import { liveOf } from '../resources/index.js';
import { nextRun } from '../resources/schedule-state.js';
import { renderStatus, type StatusReport, type StatusResource } from '../render/status.js';
import { withStack } from './context.js';
import type { StackConfig } from '../config.js';

/** How far back the last error is looked for. */
const ERROR_WINDOW_MS = 24 * 3600 * 1000;

function resourcesOf(ctx: StackContext, state: StackState & { errors: Map<string, unknown> }): StatusResource[] {
  const scoped = scopedContexts(ctx, STACK_RESOURCES);
  return STACK_RESOURCES.filter(isStackOwned).flatMap((resource): StatusResource[] => {
    const error = state.errors.get(resource.kind);
    const live = state.lives.get(resource.kind);
    // A part that is absent by design (the API key outside api-key mode) is not listed.
    const description = resource.describe(scoped(resource));
    if (!description && live == null && !error) return [];
    const arn = description?.arn && description.arn !== KNOWN_AFTER_APPLY ? description.arn : ((live as { arn?: string } | null)?.arn ?? null);
    const base = { kind: resource.kind, title: resource.title, name: resource.name(scoped(resource)), arn };
    if (error) return [{ ...base, state: 'unreadable', why: awsFailureText(error) }];
    return [{ ...base, state: live == null ? 'missing' : 'present' }];
  });
}

/**
 * The function's log lines of the last 24 h that status reads: its errors, and with a schedule its
 * runs' start and store lines too. One read serves the last error and the last scheduled run.
 */
async function recentLogEvents(ctx: StackContext, now: Date, scheduled: boolean): Promise<LogEvent[]> {
  const filterPattern = scheduled ? `?scheduledTime ?store ${ERROR_FILTER_PATTERN}` : ERROR_FILTER_PATTERN;
  return (await readLogWindow(ctx.aws.logs, { logGroupName: ctx.names.functionLogGroup, startTime: now.getTime() - ERROR_WINDOW_MS, filterPattern })).events;
}

function lastErrorOf(events: LogEvent[]): StatusReport['lastError'] {
  // The pattern finds them on AWS; each is checked again here (the local AWS matches every line to an OR pattern).
  const last = events.filter((e) => isErrorLine(e.message)).at(-1);
  return last ? { at: new Date(last.timestamp).toISOString(), requestId: requestIdOf(last.message), message: lineText(last.message) } : null;
}

/** The newest scheduled run in the function's logs, and how it ended (its store or error line). */
function lastScheduledRunOf(events: LogEvent[]): NonNullable<StatusReport['schedule']>['lastRun'] {
  const start = events.filter((e) => { const line = handlerLine(e.message); return line?.step === 'start' && line.trigger === 'schedule'; }).at(-1);
  const requestId = start ? requestIdOf(start.message) : null;
  if (!start || !requestId) return null;
  const own = events.filter((e) => e.timestamp >= start.timestamp && requestIdOf(e.message) === requestId);
  const failed = own.find((e) => isErrorLine(e.message));
  const stored = own.some((e) => handlerLine(e.message)?.step === 'store');
  return { at: new Date(start.timestamp).toISOString(), requestId, outcome: failed ? 'failed' : stored ? 'stored' : 'unknown', ...(failed ? { message: lineText(failed.message) } : {}) };
}

function scheduleStatus(state: StackState, now: Date, events: LogEvent[] | null): StatusReport['schedule'] {
  const live = liveOf(state.lives, 'schedule')?.schedule;
  if (!live) return null;
  const queue = liveOf(state.lives, 'schedule-dlq');
  return {
    expression: live.expression,
    state: live.state,
    nextRun: live.state === 'ENABLED' ? (nextRun(live.expression, now, live.modified ?? live.created)?.toISOString() ?? null) : null,
    lastRun: events ? lastScheduledRunOf(events) : null,
    failedRunsWaiting: queue ? queue.messages : null,
  };
}

async function newestObject(ctx: StackContext, now: Date): Promise<StatusReport['newestObject']> {
  const [newest] = await newestObjectKeys(s3Lister(ctx), ctx.config.dataPrefix, now, 1);
  if (!newest) return null;
  const at = newest.lastModified ?? null;
  return { key: newest.key, lastModified: at?.toISOString() ?? null, ageSeconds: at ? (now.getTime() - at.getTime()) / 1000 : null, size: newest.size ?? null };
}

export async function runStatus({ config }: { config: StackConfig }, ui: Ui): Promise<number> {
  ui.working('checking credentials');
  const bundle = handlerBundle();
  bundle.catch(() => {});
  return withStack(
    config,
    { keepSourceKey: true },
    ui,
    async (ctx) => {
      ctx.inputs.bundle = await bundle;
      ui.working(`reading stack ${config.stack}`);
      const now = new Date();
      const state = await readStackTolerant(ctx, STACK_RESOURCES);
      const resources = resourcesOf(ctx, state);
      const exists = resources.some((r) => r.state === 'present');
      // Resource by resource: one that cannot be planned (a first setup's input missing) is named, not fatal.
      const unplanned: string[] = [];
      const plan = exists
        ? STACK_RESOURCES.filter((r) => !state.errors.has(r.kind)).flatMap((r) => {
            try {
              return planStack(ctx, STACK_RESOURCES, state, new Set([r.kind]), { checks: false });
            } catch {
              unplanned.push(r.title);
              return [];
            }
          })
        : [];
      const bucketThere = state.lives.get('bucket') != null;
      const functionThere = state.lives.get('function') != null;
      const unreadable = [...state.errors.keys()];
      const scheduled = liveOf(state.lives, 'schedule')?.schedule != null;
      const [object, events] = await Promise.all([
        bucketThere ? newestObject(ctx, now) : null,
        functionThere
          ? recentLogEvents(ctx, now, scheduled).catch(() => {
              // Not "none": the logs could not be read.
              unreadable.push('function logs');
              return null;
            })
          : null,
      ]);
      const error = events ? lastErrorOf(events) : null;
      const schedule = scheduleStatus(state, now, events);
      // The method and stage's description holds the invoke URL.
      const method = STACK_RESOURCES.find((r) => r.kind === 'api');
      const apiDescription = method?.describe(scopedContexts(ctx, STACK_RESOURCES)(method));
      const invokeUrl = apiDescription?.invokeUrl && apiDescription.invokeUrl !== KNOWN_AFTER_APPLY && state.lives.get('rest-api') != null ? apiDescription.invokeUrl : null;
      const report: StatusReport = {
        stack: config.stack,
        region: config.region,
        account: ctx.names.account,
        readAt: now.toISOString(),
        exists,
        invokeUrl,
        apiAuth: invokeUrl ? (apiDescription?.auth ?? null) : null,
        resources,
        newestObject: object,
        lastError: error,
        schedule,
        drift: {
          inSync: plan.every((c) => c.action === 'noop') && unplanned.length === 0,
          resources: [
            ...plan.filter((c) => c.action !== 'noop').map((c) => `${c.title} ${c.action === 'create' ? 'missing' : c.changes.map((f) => f.field).join(', ')}`),
            ...unplanned.map((title) => `${title} (cannot be planned without setup's inputs)`),
          ],
          unreadable,
        },
      };
      ui.idle();
      if (ui.options.json) ui.json(report);
      else {
        const stdout = ui.io.stdout as { isTTY?: boolean; columns?: number };
        for (const line of renderStatus(report, ui.chalk, !ui.sameScreen, stdout.isTTY ? stdout.columns : undefined)) ui.out(line);
      }
      // As the audit does: a stack that is not in this region, or a read that failed, is exit 1 (after saying so).
      return exists && unreadable.length === 0 ? ExitCode.ok : ExitCode.failure;
    },
    { tagIndex: true },
  );
}
