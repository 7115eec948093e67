/** The audit for people: grouped by service, one line per control, a summary line. Pure. */
import type { ChalkInstance } from 'chalk';
import type { AuditReport, Control } from '../types.js';

const SERVICE_TITLES: Record<Control['service'], string> = {
  kms: 'KMS',
  s3: 'S3',
  iam: 'IAM',
  lambda: 'Lambda',
  logs: 'CloudWatch Logs',
  ssm: 'SSM',
  api: 'API Gateway',
  stack: 'The stack as a whole',
};

export function renderTable(report: AuditReport, controls: readonly Control[], chalk: ChalkInstance, options: { verbose?: boolean } = {}): string[] {
  const paint = { PASS: chalk.green, FAIL: chalk.red, ERROR: chalk.magenta, SKIP: chalk.dim } as const;
  const serviceOf = new Map(controls.map((c) => [c.id, c.service]));
  const idWidth = Math.max(...report.results.map((r) => r.id.length));
  const lines = [`Audit of stack ${chalk.bold(report.stack)} in ${report.region} (account ${report.account})`];
  for (const service of Object.keys(SERVICE_TITLES) as Control['service'][]) {
    const results = report.results.filter((r) => serviceOf.get(r.id) === service);
    if (results.length === 0) continue;
    lines.push('', chalk.bold(SERVICE_TITLES[service]));
    for (const r of results) {
      lines.push(`  ${paint[r.status](r.status.padEnd(5))} ${r.id.padEnd(idWidth)}  ${r.severity.padEnd(8)}  ${r.status === 'PASS' && !options.verbose ? chalk.dim(r.detail) : r.detail}`);
      if (r.status === 'FAIL' || r.status === 'ERROR') lines.push(`        ${' '.repeat(idWidth)}  ${chalk.dim(`fix: ${r.remediation}`)}`);
    }
  }
  const s = report.summary;
  lines.push('', `${s.pass} passed, ${s.fail} failed, ${s.error} errors, ${s.skip} skipped (${s.pass + s.fail + s.error + s.skip} controls)`);
  return lines;
}
