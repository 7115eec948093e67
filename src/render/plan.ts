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
}

export function setupJson(meta: { stack: string; region: string; account: string; dryRun: boolean }, result: EngineResult): SetupJson {
  return {
    ...meta,
    changes: result.changes.map((c) => ({ resource: c.resource, name: c.name, action: c.action, fields: c.changes.map((f) => f.field) })),
    resources: result.resources,
  };
}

export function changeLine(change: PlannedChange, chalk: ChalkInstance, width = 20): string {
  const paint = change.action === 'create' ? chalk.green : change.action === 'update' ? chalk.yellow : chalk.dim;
  const what = change.action === 'noop' ? 'no change' : change.action;
  return `${paint(SIGNS[change.action])} ${change.title.padEnd(width)} ${change.name}  ${paint(what)}`;
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

export function summaryLine(changes: PlannedChange[], dryRun: boolean): string {
  const count = (action: PlannedChange['action']) => changes.filter((c) => c.action === action).length;
  return dryRun
    ? `Plan: ${count('create')} to create, ${count('update')} to update, ${count('noop')} unchanged. Nothing was changed (dry run).`
    : `Done: ${count('create')} created, ${count('update')} updated, ${count('noop')} unchanged.`;
}

export function renderPlan(meta: { stack: string; region: string; account: string; dryRun: boolean }, result: EngineResult, chalk: ChalkInstance): string[] {
  const width = Math.max(...result.changes.map((c) => c.title.length), 10);
  const lines = [`Stack ${chalk.bold(meta.stack)} in ${meta.region} (account ${meta.account})`, ''];
  for (const change of result.changes) {
    lines.push(changeLine(change, chalk, width), ...fieldLines(change, chalk));
  }
  lines.push('', summaryLine(result.changes, meta.dryRun));
  if (!meta.dryRun) {
    lines.push('', 'Resources:');
    for (const [kind, description] of Object.entries(result.resources)) {
      lines.push(`  ${kind.padEnd(16)} ${description.name ?? ''}${description.arn ? `  ${chalk.dim(description.arn)}` : ''}`);
    }
  }
  return lines;
}
