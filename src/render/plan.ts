/** Plans and change lists for people (terraform plan's + ~ = at a glance) and for machines. Pure. */
import type { ChalkInstance } from 'chalk';
import type { EngineResult, PlannedChange } from '../engine.js';

const SIGNS = { create: '+', update: '~', noop: '=' } as const;

export interface SetupJson {
  stack: string;
  region: string;
  account: string;
  dryRun: boolean;
  changes: { resource: string; name: string; action: PlannedChange['action']; fields: string[] }[];
  resources: EngineResult['resources'];
  /** Things to know that are not changes (e.g. logging waits for the account's CloudWatch role). */
  notes: string[];
}

export function setupJson(meta: { stack: string; region: string; account: string; dryRun: boolean }, result: EngineResult, notes: string[] = []): SetupJson {
  return {
    ...meta,
    changes: result.changes.map((c) => ({ resource: c.resource, name: c.name, action: c.action, fields: c.changes.map((f) => f.field) })),
    resources: result.resources,
    notes,
  };
}

export function changeLine(change: PlannedChange, chalk: ChalkInstance, widths = { title: 20, name: 0 }): string {
  const paint = change.action === 'create' ? chalk.green : change.action === 'update' ? chalk.yellow : chalk.dim;
  const what = change.action === 'noop' ? 'no change' : change.action;
  return `${paint(SIGNS[change.action])} ${change.title.padEnd(widths.title)} ${change.name.padEnd(widths.name)}  ${paint(what)}`;
}

/** The indented field lines under an update: "versioning: Suspended -> Enabled", statement lines. */
export function fieldLines(change: PlannedChange, chalk: ChalkInstance): string[] {
  if (change.action !== 'update') return [];
  const lines: string[] = [];
  for (const field of change.changes) {
    const move = field.before !== undefined || field.after !== undefined ? `: ${field.before ?? ''}${field.before !== undefined ? ' -> ' : ''}${field.after ?? ''}` : '';
    lines.push(`    ${field.field}${move}`);
    for (const detail of field.details ?? []) {
      const paint = detail.startsWith('+') ? chalk.green : detail.startsWith('-') ? chalk.red : (s: string) => s;
      lines.push(`      ${paint(detail)}`);
    }
  }
  return lines;
}

export function summaryLine(changes: PlannedChange[], dryRun: boolean, unchangedListed = true): string {
  const count = (action: PlannedChange['action']) => changes.filter((c) => c.action === action).length;
  const unchanged = `${count('noop')} unchanged${!unchangedListed && count('noop') > 0 ? ' (--verbose lists them)' : ''}`;
  return dryRun
    ? `Plan: ${count('create')} to create, ${count('update')} to update, ${unchanged}. Nothing was changed (dry run).`
    : `Done: ${count('create')} created, ${count('update')} updated, ${count('noop')} unchanged.`;
}

export interface PlanView {
  /** The "Stack S in R (account A)" line: left out where the progress lines above said it. */
  heading?: boolean;
  /** A plan lists unchanged resources too. */
  verbose?: boolean;
  /** After an apply: each change was shown as it was applied, so it is not listed again. */
  appliedShown?: boolean;
}

/**
 * A plan shows what would change (and, with --verbose, what would not); after an apply only what
 * changed is listed, unless the progress lines on the same screen showed it, and the resources'
 * identifiers follow when something was created.
 */
export function renderPlan(meta: { stack: string; region: string; account: string; dryRun: boolean }, result: EngineResult, chalk: ChalkInstance, view: PlanView = {}): string[] {
  const widths = {
    title: Math.max(...result.changes.map((c) => c.title.length), 10),
    name: Math.max(...result.changes.map((c) => c.name.length), 10),
  };
  const shown = meta.dryRun ? result.changes.filter((c) => view.verbose || c.action !== 'noop') : view.appliedShown ? [] : result.changes.filter((c) => c.action !== 'noop');
  const lines = view.heading === false ? [] : [`Stack ${chalk.bold(meta.stack)} in ${meta.region} (account ${meta.account})`, ''];
  for (const change of shown) {
    lines.push(changeLine(change, chalk, widths), ...fieldLines(change, chalk));
  }
  if (shown.length > 0) lines.push('');
  lines.push(summaryLine(result.changes, meta.dryRun, view.verbose === true));
  if (!meta.dryRun && result.changes.some((c) => c.action === 'create')) {
    lines.push('', 'Resources:');
    const entries = Object.entries(result.resources);
    const kindWidth = Math.max(...entries.map(([kind]) => kind.length));
    const nameWidth = Math.max(...entries.map(([, d]) => (d.name ?? '').length));
    for (const [kind, description] of entries) {
      lines.push(`  ${kind.padEnd(kindWidth)}  ${(description.name ?? '').padEnd(nameWidth)}  ${chalk.dim(description.arn ?? '')}`.trimEnd());
    }
  }
  const invokeUrl = result.resources.api?.invokeUrl;
  if (!meta.dryRun && invokeUrl) lines.push('', `Invoke URL: ${chalk.bold(invokeUrl)}  (GET, ${result.resources.api?.auth === 'api-key' ? 'with the API key in x-api-key' : 'signed with SigV4'})`);
  return lines;
}
