/** --controls, --exclude-controls and --severity: which controls a run judges (as Prowler's --checks, --excluded-checks, --severity). Pure. */
import { UsageError } from '../errors.js';
import { SEVERITIES, type Control, type Severity } from './types.js';

const listOf = (value: string | undefined) => (value === undefined ? undefined : value.split(',').map((v) => v.trim()).filter((v) => v !== ''));

export function selectControls(catalogue: readonly Control[], filters: { only?: string | undefined; except?: string | undefined; severities?: string | undefined }): Control[] {
  const ids = new Set(catalogue.map((c) => c.id));
  const only = listOf(filters.only);
  const except = listOf(filters.except);
  for (const [flag, list] of [['--controls', only], ['--exclude-controls', except]] as const) {
    const unknown = (list ?? []).filter((id) => !ids.has(id));
    if (unknown.length) throw new UsageError(`${flag}: no control ${unknown.map((id) => `'${id}'`).join(', ')} (bridge audit --json lists the ids)`);
    if (list && list.length === 0) throw new UsageError(`${flag} names no control: give ids separated by commas`);
  }
  const severities = listOf(filters.severities);
  const unknownSeverity = (severities ?? []).filter((s) => !SEVERITIES.includes(s as Severity));
  if (unknownSeverity.length || (severities && severities.length === 0)) {
    throw new UsageError(`invalid --severity '${filters.severities}': use ${SEVERITIES.join(', ')}, several separated by commas`);
  }
  const chosen = catalogue.filter((c) => (!only || only.includes(c.id)) && !except?.includes(c.id) && (!severities || severities.includes(c.severity)));
  if (chosen.length === 0) throw new UsageError('the filters leave no control to judge: widen --controls, --exclude-controls or --severity');
  return chosen;
}
