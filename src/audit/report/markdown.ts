/** The audit as Markdown, for a pull-request comment: failures first, by severity. Pure. */
import type { AuditReport, AuditResult } from '../types.js';
import { SEVERITIES } from '../types.js';

const ICON = { PASS: '✅', FAIL: '❌', ERROR: '⚠️', SKIP: '➖', MUTED: '🔕' } as const;
const ORDER = { FAIL: 0, ERROR: 1, MUTED: 2, SKIP: 3, PASS: 4 } as const;

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Failing first, then unjudged, muted, skipped and passing; within each, the most severe first. */
export function byAttention(a: AuditResult, b: AuditResult): number {
  return ORDER[a.status] - ORDER[b.status] || SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity);
}

function note(r: AuditResult): string {
  if (r.status === 'FAIL') return `<br>**Fix:** ${cell(r.remediation)}`;
  if (r.status === 'MUTED' && r.mute) return `<br>**Muted** until ${r.mute.expires}: ${cell(r.mute.reason)}`;
  return '';
}

export function renderMarkdown(report: AuditReport): string {
  const s = report.summary;
  const lines = [
    `## bridge audit: \`${report.stack}\` in ${report.region}`,
    '',
    `**${s.fail} failed**, ${s.pass} passed, ${s.error} errors, ${s.skip} skipped${s.muted ? `, ${s.muted} muted` : ''} (account ${report.account})`,
    '',
    '| | control | severity | resource | detail |',
    '|---|---|---|---|---|',
  ];
  for (const r of [...report.results].sort(byAttention)) {
    lines.push(`| ${ICON[r.status]} | \`${r.id}\` | ${r.severity} | ${cell(r.resource)} | ${cell(r.detail)}${note(r)} |`);
  }
  lines.push('', `<sub>bridge ${report.bridgeVersion}, report schema ${report.schemaVersion}, read at ${report.generatedAt}</sub>`);
  return `${lines.join('\n')}\n`;
}
