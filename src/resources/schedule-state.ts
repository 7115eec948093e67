/**
 * The ingestion schedule's pure half: whether the stack has one, what it should be, what differs,
 * and when it runs next. The schedule lives in a group of its own, named for the stack: Scheduler
 * tags groups, not schedules, so the group is what proves the schedule is the stack's.
 */
import type { Tags } from './tags.js';
import { tagsChange } from './tags.js';
import { settingChange, type FieldChange, type StackContext } from './types.js';

/** How long Scheduler keeps retrying a delivery it could not make, and how often. */
export const SCHEDULE_RETRY = { maximumEventAgeSeconds: 3600, maximumRetryAttempts: 3 } as const;

/** Lambda's own retries of a scheduled run that failed, before it goes to the dead-letter queue. */
export const ASYNC_RETRY = { maximumEventAgeSeconds: 3600, maximumRetryAttempts: 2 } as const;

/**
 * What the function receives on a scheduled run: Scheduler fills in its context attributes, so the
 * handler can tell a scheduled run from an API call and a manual invoke, and record which one.
 */
export const SCHEDULE_INPUT = JSON.stringify({
  source: 'bridge.schedule',
  scheduleArn: '<aws.scheduler.schedule-arn>',
  scheduledTime: '<aws.scheduler.scheduled-time>',
  executionId: '<aws.scheduler.execution-id>',
  attempt: '<aws.scheduler.attempt-number>',
});

/**
 * The schedule this run wants: the one given (--schedule, or the config file), else the deployed
 * one's, else none. Null: no schedule.
 */
export function intendedSchedule(ctx: Pick<StackContext, 'config' | 'refs'>): string | null {
  return ctx.config.schedule !== undefined ? ctx.config.schedule : (ctx.refs.scheduleExpression ?? null);
}

/** The group's tag that keeps the intended expression, so a schedule changed by hand is drift, not the new intent. */
export const SCHEDULE_TAG_KEY = 'bridge:schedule';

// Tag values take letters, digits, spaces and _ . : / = + - @ only (AWS's tagging rules): the
// expression's other characters get stand-ins that expressions never hold.
const TAG_SPELLING: [string, string][] = [['*', '@'], ['?', '_'], [',', '.'], ['#', '=']];

/** Pure: 'cron(0 6 * * ? *)' as a tag value, 'cron 0 6 @ @ _ @'. */
export function expressionToTag(expression: string): string {
  const match = /^(rate|cron)\((.*)\)$/.exec(expression);
  if (!match) return expression;
  let rest = match[2] as string;
  for (const [from, to] of TAG_SPELLING) rest = rest.split(from).join(to);
  return `${match[1]} ${rest}`;
}

/** Pure: the expression a tag value spells, or null for one that is not bridge's spelling. */
export function expressionFromTag(value: string | undefined): string | null {
  const match = /^(rate|cron) (.+)$/.exec(value ?? '');
  if (!match) return null;
  let rest = match[2] as string;
  for (const [from, to] of TAG_SPELLING) rest = rest.split(to).join(from);
  return `${match[1]}(${rest})`;
}

export interface ScheduleSettings {
  expression: string;
  timezone: string;
  state: string;
  flexibleWindow: string;
  targetArn: string;
  roleArn: string;
  deadLetterArn: string | null;
  maximumEventAgeSeconds: number | null;
  maximumRetryAttempts: number | null;
  input: string | null;
}

export interface ScheduleLive {
  /** The group's tags hold the intended expression (SCHEDULE_TAG_KEY) besides the stack's. */
  group: { arn: string; state: string; tags: Tags };
  schedule: (ScheduleSettings & { created: Date | null; modified: Date | null }) | null;
}

export interface ScheduleIntended {
  /** Null: the stack has no schedule, and a group or schedule left from one is removed. */
  settings: ScheduleSettings | null;
  tags: Tags;
}

export function diffSchedule(live: ScheduleLive | null, intended: ScheduleIntended): FieldChange[] {
  const want = intended.settings;
  if (!want) return live ? [{ field: 'remove', before: live.schedule?.expression ?? 'schedule group', after: 'none' }] : [];
  if (!live) return [{ field: 'schedule-group' }, { field: 'schedule', after: want.expression }];
  const changes: FieldChange[] = [...tagsChange(live.group.tags, intended.tags)];
  const have = live.schedule;
  if (!have) return [...changes, { field: 'schedule', after: want.expression }];
  changes.push(
    ...settingChange('expression', have.expression, want.expression),
    ...settingChange('timezone', have.timezone, want.timezone),
    ...settingChange('state', have.state, want.state),
    ...settingChange('flexible-time-window', have.flexibleWindow, want.flexibleWindow),
    ...settingChange('target', have.targetArn, want.targetArn),
    ...settingChange('role', have.roleArn, want.roleArn),
    ...settingChange('dead-letter-queue', have.deadLetterArn, want.deadLetterArn),
    ...settingChange('retry-max-event-age', have.maximumEventAgeSeconds, want.maximumEventAgeSeconds),
    ...settingChange('retry-max-attempts', have.maximumRetryAttempts, want.maximumRetryAttempts),
  );
  if (have.input !== want.input) changes.push({ field: 'input', after: 'the scheduled-run event bridge sends' });
  return changes;
}

const MINUTE = 60_000;
const RATE_UNITS: Record<string, number> = { minute: MINUTE, hour: 60 * MINUTE, day: 24 * 60 * MINUTE };

/** Pure: a rate(...) expression's period in milliseconds, or null for another form. */
export function ratePeriodMs(expression: string): number | null {
  const match = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  return match ? Number(match[1]) * (RATE_UNITS[match[2] as string] as number) : null;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** The values a cron field allows, or null for what this reader does not follow (L, W, #). */
function cronValues(field: string, min: number, max: number, names?: string[]): Set<number> | null {
  if (field === '?' || field === '*') return new Set(Array.from({ length: max - min + 1 }, (_, i) => min + i));
  if (/[LW#]/.test(field)) return null;
  const values = new Set<number>();
  const number = (token: string) => {
    const named = names?.indexOf(token.toUpperCase()) ?? -1;
    return named >= 0 ? named + 1 : Number(token);
  };
  for (const part of field.split(',')) {
    const [range = '*', step = '1'] = part.split('/');
    const [from, to] = range === '*' ? [min, max] : range.includes('-') ? range.split('-').map(number) : [number(range), step !== '1' ? max : number(range)];
    for (let v = from as number; v <= (to as number); v += Number(step)) values.add(v);
  }
  return values;
}

/**
 * Pure: when a schedule runs next after `now` (UTC), or null where this reader cannot tell (cron's
 * L, W and #). A rate counts from when the schedule was made or last changed, as Scheduler does.
 */
export function nextRun(expression: string, now: Date, since: Date | null): Date | null {
  const period = ratePeriodMs(expression);
  if (period !== null) {
    if (!since) return null;
    const elapsed = Math.max(0, now.getTime() - since.getTime());
    return new Date(since.getTime() + (Math.floor(elapsed / period) + 1) * period);
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) return null;
  const [minutes, hours, dom, month, dow, year] = (cron[1] as string).trim().split(/\s+/);
  const sets = [cronValues(minutes ?? '', 0, 59), cronValues(hours ?? '', 0, 23), cronValues(dom ?? '', 1, 31), cronValues(month ?? '', 1, 12, MONTHS), cronValues(dow ?? '', 1, 7, DAYS), cronValues(year ?? '', 1970, 2199)];
  if (sets.some((s) => s === null)) return null;
  const [mins, hrs, days, months, weekdays, years] = sets as Set<number>[];
  const t = new Date(Math.floor(now.getTime() / MINUTE) * MINUTE + MINUTE);
  // Minute by minute is at most about half a million steps a year; cheap, and plainly right.
  for (let i = 0; i < 366 * 24 * 60 * 5; i += 1, t.setTime(t.getTime() + MINUTE)) {
    if (!(years as Set<number>).has(t.getUTCFullYear()) || !(months as Set<number>).has(t.getUTCMonth() + 1)) continue;
    if (dom !== '?' && !(days as Set<number>).has(t.getUTCDate())) continue;
    if (dow !== '?' && !(weekdays as Set<number>).has(t.getUTCDay() + 1)) continue;
    if ((hrs as Set<number>).has(t.getUTCHours()) && (mins as Set<number>).has(t.getUTCMinutes())) return new Date(t);
  }
  return null;
}
