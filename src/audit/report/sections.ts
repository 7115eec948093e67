/** How the reports for people group results: the sections after the failures' order, and services' names. Pure. */
import type { AuditResult, Control, Status } from '../types.js';
import { SEVERITIES } from '../types.js';

export const SERVICE_TITLES: Record<Control['service'], string> = {
  kms: 'KMS',
  s3: 'S3',
  iam: 'IAM',
  lambda: 'Lambda',
  logs: 'CloudWatch Logs',
  ssm: 'SSM',
  api: 'API Gateway',
  schedule: 'Schedule (EventBridge Scheduler, SQS)',
  stack: 'The stack as a whole',
};

export const SECTIONS: { status: Exclude<Status, 'PASS'>; title: string }[] = [
  { status: 'FAIL', title: 'Failed' },
  { status: 'ERROR', title: 'Could not be judged' },
  { status: 'MUTED', title: 'Muted' },
  { status: 'SKIP', title: 'Skipped' },
];

/** "critical 1, high 2, medium 1", most severe first. */
export function severityCounts(results: readonly AuditResult[]): string {
  return SEVERITIES.map((s) => [s, results.filter((r) => r.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
}

