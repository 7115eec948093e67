/**
 * The audit for people. Pure. What needs attention comes first: failures by severity, then what
 * could not be judged, what is muted and what was skipped, each with its resource, finding and
 * fix; passing controls are one line unless --verbose lists them by service. Text is wrapped
 * within its column to the terminal's width (word by word; a long ARN breaks inside its column,
 * never back at column 0), and below 100 columns each field goes under its label instead.
 */
import type { ChalkInstance } from 'chalk';
import wrapAnsi from 'wrap-ansi';
import { byAttention } from '../run.js';
import type { AuditReport, AuditResult, Control, Severity } from '../types.js';
import { SECTIONS, SERVICE_TITLES, severityCounts } from './sections.js';

/** Below this, fields go under their labels: side by side they would leave too little room. */
export const STACKED_BELOW = 100;

export interface TableOptions {
  verbose?: boolean;
  /** The columns to fit (the terminal's); 100 when unknown (a pipe, a file, a CI log). */
  width?: number;
}

function wrap(text: string, width: number, indent: number): string[] {
  const room = Math.max(20, width - indent);
  return wrapAnsi(text, room, { hard: true, trim: true }).split('\n').map((line) => `${' '.repeat(indent)}${line}`);
}

export function renderTable(report: AuditReport, controls: readonly Control[], chalk: ChalkInstance, options: TableOptions = {}): string[] {
  const width = options.width && options.width > 0 ? options.width : STACKED_BELOW;
  const stacked = width < STACKED_BELOW;
  const paint = { PASS: chalk.green, FAIL: chalk.red, ERROR: chalk.magenta, SKIP: chalk.dim, MUTED: chalk.dim } as const;
  const severityPaint: Record<Severity, (text: string) => string> = { critical: chalk.red.bold, high: chalk.red, medium: chalk.yellow, low: chalk.cyan, info: chalk.dim };
  const lines = [`Audit of stack ${chalk.bold(report.stack)} in ${report.region} (account ${report.account})`];

  const field = (label: string, text: string) => {
    if (stacked) return [`    ${chalk.dim(label)}`, ...wrap(text, width, 6)];
    const [first = '', ...rest] = wrap(text, width, 18);
    return [`      ${chalk.dim(label.padEnd(10))}  ${first.trimStart()}`, ...rest];
  };
  const finding = (r: AuditResult): string[] => {
    const head = `  ${paint[r.status](r.status.padEnd(5))} ${severityPaint[r.severity](r.severity.padEnd(8))} ${chalk.bold(r.id)}`;
    const out = [head, ...wrap(chalk.dim(r.title), width, stacked ? 4 : 6), ...field('resource', r.resource), ...field(r.status === 'ERROR' ? 'why' : 'finding', r.detail)];
    if (r.status === 'FAIL' || r.status === 'ERROR') out.push(...field('fix', r.remediation));
    if (r.status === 'MUTED' && r.mute) out.push(...field('muted', `until ${r.mute.expires}: ${r.mute.reason}`));
    return out;
  };

  for (const { status, title } of SECTIONS) {
    const results = report.results.filter((r) => r.status === status).sort(byAttention);
    if (results.length === 0) continue;
    lines.push('', chalk.bold(`${title} (${results.length})${status === 'FAIL' ? `: ${severityCounts(results)}` : ''}`));
    for (const r of results) {
      // A skip says why in one line; the rest get their fields.
      if (status === 'SKIP') lines.push(`  ${paint.SKIP('SKIP ')} ${r.id}`, ...wrap(chalk.dim(r.detail), width, stacked ? 4 : 8));
      else lines.push(...finding(r), '');
    }
    if (status !== 'SKIP') lines.pop();
  }

  const passed = report.results.filter((r) => r.status === 'PASS');
  if (passed.length > 0 && options.verbose) {
    const serviceOf = new Map(controls.map((c) => [c.id, c.service]));
    const idWidth = Math.max(...passed.map((r) => r.id.length));
    lines.push('', chalk.bold(`Passed (${passed.length})`));
    for (const service of Object.keys(SERVICE_TITLES) as Control['service'][]) {
      const inService = passed.filter((r) => serviceOf.get(r.id) === service);
      if (inService.length === 0) continue;
      lines.push(chalk.bold(SERVICE_TITLES[service]));
      for (const r of inService) lines.push(...wrap(`${paint.PASS('PASS ')} ${r.id.padEnd(idWidth)}  ${r.severity.padEnd(8)}  ${r.detail}`, width, 2));
    }
  } else if (passed.length > 0) {
    lines.push('', `${chalk.bold(`Passed (${passed.length})`)} ${chalk.dim('--verbose lists them')}`);
  }

  const s = report.summary;
  lines.push('');
  if (s.fail > 0) lines.push(chalk.bold(`Failed (${s.fail}): ${severityCounts(report.results.filter((r) => r.status === 'FAIL'))}`));
  lines.push(summaryLine(s));
  return lines;
}

/** "36 passed, 3 failed, 0 errors, 0 skipped (39 controls)": an audit in one line. */
export function summaryLine(s: AuditReport['summary']): string {
  return `${s.pass} passed, ${s.fail} failed, ${s.error} errors, ${s.skip} skipped${s.muted ? `, ${s.muted} muted` : ''} (${s.pass + s.fail + s.error + s.skip + s.muted} controls)`;
}
