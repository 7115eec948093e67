/** What `bridge status` prints, for people and as JSON. Pure. */
import type { ChalkInstance } from 'chalk';

export interface StatusResource {
  kind: string;
  title: string;
  name: string;
  arn: string | null;
  /** 'missing': setup would create it; 'unreadable': the read failed (why says). */
  state: 'present' | 'missing' | 'unreadable';
  why?: string;
}

export interface StatusReport {
  stack: string;
  region: string;
  account: string;
  /** When the stack was read (ISO 8601, UTC). */
  readAt: string;
  /** False when nothing of the stack exists in this region. */
  exists: boolean;
  invokeUrl: string | null;
  apiAuth: string | null;
  resources: StatusResource[];
  newestObject: { key: string; lastModified: string | null; ageSeconds: number | null; size: number | null } | null;
  lastError: { at: string; requestId: string | null; message: string } | null;
  /** The ingestion schedule, where the stack has one. */
  schedule: {
    expression: string;
    state: string;
    /** When it runs next (UTC), where bridge can tell from the expression. */
    nextRun: string | null;
    /** The newest scheduled run in the function's logs of the last 24 h, and how it ended. */
    lastRun: { at: string; requestId: string; outcome: 'stored' | 'failed' | 'unknown'; message?: string } | null;
    /** Failed runs waiting in the dead-letter queue; null where it could not be read. */
    failedRunsWaiting: number | null;
  } | null;
  /** Resources setup would change (a dry run lists the fields); unreadable ones are not counted. */
  drift: { inSync: boolean; resources: string[]; unreadable: string[] };
}

/** "42 s", "3 min", "5 h", "2 days". */
export function ageText(seconds: number): string {
  if (seconds < 90) return `${Math.max(0, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

export function driftLine(drift: StatusReport['drift']): string {
  const unreadable = drift.unreadable.length > 0 ? `; could not read ${drift.unreadable.join(', ')}` : '';
  if (drift.inSync) return `in sync: setup would change nothing${unreadable}`;
  return `${drift.resources.length} ${drift.resources.length === 1 ? 'resource differs' : 'resources differ'} (${drift.resources.join(', ')}): bridge setup --dry-run shows how${unreadable}`;
}

/** Below this many columns each resource's ARN goes on a line of its own (as the audit table stacks). */
export const STATUS_STACKED_BELOW = 100;

/** `heading`: the "Stack S in R" line, left out where the progress lines above said it; `width`: the terminal's columns. */
export function renderStatus(report: StatusReport, chalk: ChalkInstance, heading = true, width?: number): string[] {
  const lines = heading ? [`Stack ${chalk.bold(report.stack)} in ${report.region} (account ${report.account})`, ''] : [];
  if (!report.exists) {
    lines.push(`Nothing of stack ${report.stack} exists in ${report.region}: bridge setup creates it (check --region and --stack if you expected one).`);
    return lines;
  }
  const row = (label: string, text: string) => `  ${chalk.dim(label.padEnd(12))} ${text}`;
  if (report.invokeUrl) lines.push(row('invoke URL', `${report.invokeUrl}  (GET, ${report.apiAuth === 'api-key' ? 'with the API key in x-api-key' : 'signed with SigV4'})`));
  const o = report.newestObject;
  lines.push(row('newest data', o ? `${o.key}${o.ageSeconds !== null ? `, ${ageText(o.ageSeconds)} ago` : ''}${o.size !== null ? ` (${o.size} bytes)` : ''}` : 'nothing stored yet'));
  const e = report.lastError;
  const logsUnread = report.drift.unreadable.includes('function logs');
  lines.push(row('last error', e ? chalk.red(`${e.at}${e.requestId ? ` (request ${e.requestId})` : ''}: ${e.message}`) : logsUnread ? chalk.red('unknown: the function logs could not be read') : 'none in the last 24 h'));
  const sc = report.schedule;
  if (sc) {
    const run = sc.lastRun;
    const last = run ? `${run.at} ${run.outcome === 'stored' ? chalk.green('stored') : run.outcome === 'failed' ? chalk.red(`failed: ${run.message ?? ''}`) : 'outcome not logged yet'}` : 'none in the last 24 h';
    const waiting = sc.failedRunsWaiting === null ? 'failed runs waiting: unknown' : sc.failedRunsWaiting > 0 ? chalk.red(`${sc.failedRunsWaiting} failed run${sc.failedRunsWaiting === 1 ? '' : 's'} waiting in the dead-letter queue`) : 'no failed runs waiting';
    lines.push(row('schedule', `${sc.expression}, ${sc.state === 'ENABLED' ? 'enabled' : chalk.yellow(sc.state.toLowerCase())}${sc.nextRun ? `; next run ${sc.nextRun}` : ''}`));
    lines.push(row('last run', `${last}; ${waiting}`));
  }
  lines.push(row('drift', report.drift.inSync ? chalk.green(driftLine(report.drift)) : chalk.yellow(driftLine(report.drift))));
  lines.push('', 'Resources:');
  const titleWidth = Math.max(...report.resources.map((r) => r.title.length));
  const nameWidth = Math.max(...report.resources.map((r) => r.name.length));
  const stacked = width !== undefined && width > 0 && width < STATUS_STACKED_BELOW;
  for (const r of report.resources) {
    const state = r.state === 'present' ? chalk.dim(r.arn ?? '') : r.state === 'missing' ? chalk.yellow('missing: setup creates it') : chalk.red(`could not read: ${r.why ?? ''}`);
    if (stacked) lines.push(`  ${r.title}  ${r.name}`, ...(state ? [`    ${state}`] : []));
    else lines.push(`  ${r.title.padEnd(titleWidth)}  ${r.name.padEnd(nameWidth)}  ${state}`.trimEnd());
  }
  return lines;
}
