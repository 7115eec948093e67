/** The audit as Markdown, for a pull-request comment: failures first, by severity. Pure. */
import { byAttention } from '../run.js';
import type { AuditReport, AuditResult } from '../types.js';

const ICON = { PASS: '✅', FAIL: '❌', ERROR: '⚠️', SKIP: '➖', MUTED: '🔕' } as const;

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
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
