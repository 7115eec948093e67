/**
 * The access table for people: per principal, what it may do and what it may not, as the README
 * shows it (a test holds the README's copy equal to this). Pure.
 */
import { stackNames } from '../names.js';
import { accessTable, type PrincipalName } from './table.js';

const TITLES: Record<PrincipalName, string> = {
  'execution-role': 'execution role `S-ingest-role-R`',
  operator: 'operator `S-operator-R` (through `S-operators-R`)',
  'api-gateway': 'API Gateway',
  'lambda-service': 'Lambda',
  'cloudwatch-logs': 'CloudWatch Logs',
  'scheduler-role': 'scheduler role `S-scheduler-role-R` (with a schedule)',
  'scheduler-service': 'EventBridge Scheduler (with a schedule)',
  'unrelated-user': 'another user of the account',
  'other-account': 'another account (even its administrators)',
  anonymous: 'anyone (unauthenticated)',
};

export const ACCESS_TABLE_BEGIN = '<!-- access table: made by src/access/render.ts; `npm run docs` writes it -->';
export const ACCESS_TABLE_END = '<!-- end of access table -->';

export function renderAccessMarkdown(): string {
  const n = stackNames('s', '111122223333', 'us-east-1');
  const rows = accessTable(n, { keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k', apiId: 'api', dataPrefix: 'raw/', scheduled: true });
  const lines = ['| principal | may | may not |', '|---|---|---|'];
  for (const principal of Object.keys(TITLES) as PrincipalName[]) {
    const mine = rows.filter((r) => r.principal === principal);
    const cell = (intended: 'allow' | 'deny') =>
      mine
        .filter((r) => r.intended === intended)
        .map((r) => `${r.what} (\`${r.request.action}\`)`)
        .join('; ') || '(nothing)';
    lines.push(`| ${TITLES[principal]} | ${cell('allow')} | ${cell('deny')} |`);
  }
  return [ACCESS_TABLE_BEGIN, ...lines, ACCESS_TABLE_END].join('\n');
}
