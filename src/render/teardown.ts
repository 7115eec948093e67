/** What teardown removed, kept and found gone: for people (- = .) and for machines. Pure. */
import type { ChalkInstance } from 'chalk';

export interface TeardownJson {
  stack: string;
  region: string;
  account: string;
  dryRun: boolean;
  removed: { resource: string; name: string; note?: string }[];
  retained: { resource: string; name: string; reason: string }[];
  absent: { resource: string; name: string }[];
}

export interface TeardownView {
  /** The "Teardown of stack S" line: left out where the progress lines above named the stack. */
  heading?: boolean;
  /** Each removal was shown as it happened on this screen: not listed again. */
  removedShown?: boolean;
  /** The plan before the prompt: what goes and what stays, no counts. */
  planOnly?: boolean;
}

/** The report's lines: a heading, one line a resource, and the counts. `titleOf` names a kind for people. */
export function renderTeardown(json: TeardownJson, titleOf: (kind: string) => string, c: ChalkInstance, view: TeardownView = {}): string[] {
  const all = [...json.removed, ...json.retained, ...json.absent];
  const width = Math.max(0, ...all.map((r) => titleOf(r.resource).length));
  const nameWidth = Math.max(0, ...all.map((r) => r.name.length));
  const line = (sign: string, kind: string, name: string, what: string) => `${sign} ${titleOf(kind).padEnd(width)} ${name.padEnd(nameWidth)}  ${what}`;
  const verb = json.dryRun ? 'would remove' : 'removed';
  const heading = view.heading === false ? [] : [`Teardown of stack ${c.bold(json.stack)} in ${json.region} (account ${json.account})${json.dryRun ? ' (dry run: nothing changes)' : ''}`, ''];
  const rows = [
    ...(view.removedShown ? [] : json.removed.map((r) => line(c.red('-'), r.resource, r.name, `${verb}${r.note ? `: ${r.note}` : ''}`))),
    ...json.retained.map((r) => line(c.yellow('='), r.resource, r.name, `${json.dryRun ? 'would be ' : ''}retained: ${r.reason}`)),
    ...json.absent.map((r) => line(c.dim('.'), r.resource, r.name, c.dim('already gone'))),
  ];
  if (view.planOnly) return [...heading, ...rows];
  return [
    ...heading,
    ...rows,
    ...(rows.length > 0 ? [''] : []),
    `${json.dryRun ? 'Would remove' : 'Removed'} ${json.removed.length}, retained ${json.retained.length}, already gone ${json.absent.length}.`,
  ];
}
