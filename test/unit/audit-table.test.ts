/** The audit's table as people read it: what needs attention first, fitted to the terminal. */
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { CONTROLS } from '../../src/audit/controls/index.js';
import { severityCounts } from '../../src/audit/report/sections.js';
import { renderTable } from '../../src/audit/report/table.js';
import { summarize } from '../../src/audit/run.js';
import type { AuditReport, AuditResult, Severity, Status } from '../../src/audit/types.js';
import { AUDIT_SCHEMA_VERSION } from '../../src/audit/types.js';

const ARN = 'arn:aws:iam::111122223333:role/bridge/weather-ingest-role-eu-west-1-with-a-name-long-enough-to-break';

function result(id: string, status: Status, severity: Severity, detail = `${id} detail`): AuditResult {
  return { id, title: `the ${id} title`, severity, status, resource: ARN, resourceKind: 'execution-role', resourceArn: ARN, detail, remediation: `fix ${id} by running bridge setup --stack weather`, frameworks: [] };
}

function report(results: AuditResult[]): AuditReport {
  return { schemaVersion: AUDIT_SCHEMA_VERSION, bridgeVersion: '0.1.0', generatedAt: '2026-12-03T10:00:00.000Z', stack: 'weather', region: 'eu-west-1', account: '111122223333', summary: summarize(results), results };
}

const plain = new Chalk({ level: 0 });
const long = 'the role may also s3:DeleteObject and s3:DeleteObjectVersion on every object of the bucket, which the function never needs: it writes new versions and never removes any, so a leaked credential could erase the data';
const sample = report([
  result('s3-tls-only', 'PASS', 'medium'),
  result('lambda-concurrency', 'FAIL', 'low'),
  result('iam-role-least-privilege', 'FAIL', 'critical', long),
  result('kms-rotation', 'ERROR', 'medium', 'could not read kms-key: AccessDeniedException'),
  result('s3-lifecycle', 'FAIL', 'high'),
  result('api-tracing', 'SKIP', 'low', 'skipped: no API yet'),
]);

describe('the audit table', () => {
  it('puts failures first, most severe first, then what could not be judged, and closes with the failures by severity', () => {
    const text = renderTable(sample, CONTROLS, plain, { width: 120 }).join('\n');
    const order = ['Failed (3): critical 1, high 1, low 1', 'iam-role-least-privilege', 's3-lifecycle', 'lambda-concurrency', 'Could not be judged (1)', 'kms-rotation', 'Skipped (1)', 'Passed (1)'].map((s) => text.indexOf(s));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const lines = text.split('\n');
    expect(lines.at(-2)).toBe('Failed (3): critical 1, high 1, low 1');
    expect(lines.at(-1)).toBe('1 passed, 3 failed, 1 errors, 1 skipped (6 controls)');
  });

  it('folds passing controls into one line unless verbose, which lists them by service', () => {
    expect(renderTable(sample, CONTROLS, plain).join('\n')).not.toContain('PASS  s3-tls-only');
    const verbose = renderTable(sample, CONTROLS, plain, { verbose: true }).join('\n');
    expect(verbose).toMatch(/^S3$/m);
    expect(verbose).toMatch(/^ {2}PASS {2}s3-tls-only +medium/m);
  });

  it.each([120, 100, 80, 60])('fits %i columns: no line longer, every continuation indented, no word cut', (width) => {
    const lines = renderTable(sample, CONTROLS, plain, { width });
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(width);
    const body = lines.slice(1).filter((l) => l !== '' && !/^(Failed|Could not|Skipped|Passed|Muted|\d+ passed)/.test(l));
    for (const line of body) expect(line, 'nothing wraps back to column 0').toMatch(/^ {2}/);
    // Words of the finding survive whole: each is on one line.
    const text = lines.join('\n');
    for (const word of long.split(' ')) expect(text).toContain(word);
  });

  it('below 100 columns puts each field under its label', () => {
    const narrow = renderTable(sample, CONTROLS, plain, { width: 80 });
    const at = narrow.findIndex((l) => l.trim() === 'fix');
    expect(at).toBeGreaterThan(0);
    expect(narrow[at + 1]).toMatch(/^ {6}fix /);
    const wide = renderTable(sample, CONTROLS, plain, { width: 140 });
    expect(wide.some((l) => /^ {6}fix {9}fix /.test(l))).toBe(true);
  });

  it('counts by severity, most severe first', () => {
    expect(severityCounts([result('a', 'FAIL', 'low'), result('b', 'FAIL', 'critical'), result('c', 'FAIL', 'low')])).toBe('critical 1, low 2');
  });
});
