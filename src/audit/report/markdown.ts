/** The audit as Markdown, for a pull-request comment. Pure. */
import type { AuditReport } from '../types.js';

const ICON = { PASS: '✅', FAIL: '❌', ERROR: '⚠️', SKIP: '➖' } as const;

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderMarkdown(report: AuditReport): string {
  const s = report.summary;
  const lines = [
    `## bridge audit: \`${report.stack}\` in ${report.region}`,
    '',
    `**${s.fail} failed**, ${s.pass} passed, ${s.error} errors, ${s.skip} skipped (account ${report.account})`,
    '',
    '| | control | severity | resource | detail |',
    '|---|---|---|---|---|',
  ];
  const order = { FAIL: 0, ERROR: 1, SKIP: 2, PASS: 3 } as const;
  for (const r of [...report.results].sort((a, b) => order[a.status] - order[b.status])) {
    lines.push(`| ${ICON[r.status]} | \`${r.id}\` | ${r.severity} | ${cell(r.resource)} | ${cell(r.detail)}${r.status === 'FAIL' ? `<br>**Fix:** ${cell(r.remediation)}` : ''} |`);
  }
  return `${lines.join('\n')}\n`;
}
