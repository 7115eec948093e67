/**
 * `bridge logs`: the function's log group (and with --api the API's access logs) without
 * invoking anything, as `sam logs` and `aws logs tail` show them: a time window (--since), a
 * filter pattern, and --follow to keep printing new events until Ctrl-C. Read-only.
 */
import type { StackConfig } from '../config.js';
import { ExitCode } from '../errors.js';
import { listenForInterrupt } from '../interrupt.js';
import { followLogs, readLogWindow } from '../logs/follow.js';
import { eventLine, printedEvent, type LogEvent } from '../logs/lines.js';
import type { Ui } from '../output.js';
import type { StackContext } from '../resources/types.js';
import { withStack } from './context.js';

export interface LogsRequest {
  /** Where the window starts (ms since the epoch). */
  since: number;
  filter?: string;
  follow: boolean;
  api: boolean;
}

export interface PreparedLogs {
  config: StackConfig;
  request: LogsRequest;
}

interface Group {
  label: string;
  name: string;
  arn: string;
}

function groupsOf(ctx: StackContext, api: boolean): Group[] {
  const n = ctx.names;
  return [{ label: 'function', name: n.functionLogGroup, arn: n.functionLogGroupArn }, ...(api ? [{ label: 'api', name: n.apiLogGroup, arn: n.apiLogGroupArn }] : [])];
}

/** Prints each event as it comes: one line (or, with --json, one JSON object per line). */
function printer(ui: Ui, tty: boolean): (event: LogEvent, group: Group) => void {
  const paint = { dim: ui.chalk.dim, red: ui.chalk.red };
  return (event, group) => {
    if (ui.options.json) ui.jsonLine(printedEvent(event, group.name));
    else ui.out(eventLine(event, group.label, { tty, now: new Date(), paint }));
  };
}

/** Follows the groups from `startTime` until Ctrl-C (invoke --follow shares it). */
export async function followGroups(ctx: StackContext, groups: Group[], startTime: number, filter: string | undefined, print: (event: LogEvent, group: Group) => void, ui: Ui): Promise<void> {
  const controller = new AbortController();
  const interruption = listenForInterrupt();
  void interruption.signalled.then(() => controller.abort());
  ui.err(ui.chalk.dim(`following ${groups.map((g) => g.name).join(' and ')} (Ctrl-C to stop)`));
  try {
    // One group failing (access denied) stops the others too, or the run would never end.
    await Promise.all(
      groups.map((group) =>
        followLogs(ctx.aws.logs, {
          logGroupName: group.name,
          logGroupArn: group.arn,
          startTime,
          ...(filter ? { filterPattern: filter } : {}),
          signal: controller.signal,
          liveTail: !ctx.config.endpoint,
          onEvent: (event) => print(event, group),
          onFallback: (reason) => ui.verbose(reason),
        }).catch((error: unknown) => {
          controller.abort();
          throw error;
        }),
      ),
    );
  } finally {
    interruption.cancel();
  }
}

/** invoke --follow: the function's group from the invocation on, printed as `bridge logs` prints it. */
export async function followFunctionLogs(ctx: StackContext, startTime: number, ui: Ui): Promise<void> {
  const tty = (ui.io.stdout as { isTTY?: boolean }).isTTY === true;
  await followGroups(ctx, groupsOf(ctx, false), startTime, undefined, printer(ui, tty), ui);
}

export async function runLogs({ config, request }: PreparedLogs, ui: Ui): Promise<number> {
  return withStack(config, { keepSourceKey: true }, ui, async (ctx) => {
    const groups = groupsOf(ctx, request.api);
    const tty = (ui.io.stdout as { isTTY?: boolean }).isTTY === true;
    const print = printer(ui, tty);
    ui.working(`reading ${groups.map((g) => g.name).join(' and ')}`);
    const windows = await Promise.all(
      groups.map(async (group) => {
        const window = await readLogWindow(ctx.aws.logs, { logGroupName: group.name, startTime: request.since, ...(request.filter ? { filterPattern: request.filter } : {}) }).catch((error: unknown) => {
          // A group that is not there (the stack is not set up here) has no events; the line below says none were found.
          if ((error as Error).name === 'ResourceNotFoundException') return { events: [] as LogEvent[], truncated: false };
          throw error;
        });
        return { group, ...window };
      }),
    );
    ui.idle();
    const merged = windows.flatMap((w) => w.events.map((event) => ({ event, group: w.group }))).sort((a, b) => a.event.timestamp - b.event.timestamp);
    for (const { event, group } of merged) print(event, group);
    for (const w of windows.filter((x) => x.truncated)) ui.err(`${ui.chalk.yellow('note:')} ${w.group.name} has more events than one read shows: give a later --since, or a --filter`);
    if (merged.length === 0 && !request.follow) ui.err(`no events in ${groups.map((g) => g.name).join(' or ')} since ${new Date(request.since).toISOString()}${request.filter ? ` matching ${request.filter}` : ''}`);
    if (request.follow) {
      // From just after the newest event shown, so none is shown twice.
      const newest = merged.at(-1)?.event.timestamp;
      await followGroups(ctx, groups, newest !== undefined ? newest + 1 : request.since, request.filter, print, ui);
    }
    return ExitCode.ok;
  });
}
