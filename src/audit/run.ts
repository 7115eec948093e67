/** Judges a snapshot with the catalogue: pure. A control whose read failed is ERROR, never PASS. */
import { VERSION } from '../version.js';
import { subjectOf } from './subjects.js';
import type { AuditReport, AuditResult, AuditSnapshot, AuditSummary, Control, Severity } from './types.js';
import { AUDIT_SCHEMA_VERSION, SEVERITIES } from './types.js';

export function judge(control: Control, snapshot: AuditSnapshot): AuditResult {
  const subject = subjectOf(control, snapshot);
  const base = {
    id: control.id,
    title: control.title,
    severity: control.severity,
    resourceKind: subject.kind,
    resourceArn: subject.arn,
    remediation: control.remediation,
    frameworks: control.frameworks,
  };
  const failedRead = control.reads.find((what) => snapshot.errors.has(what));
  if (failedRead) {
    return { ...base, status: 'ERROR', resource: subject.arn, detail: `could not read ${failedRead}: ${snapshot.errors.get(failedRead)}` };
  }
  try {
    const verdict = control.check(snapshot);
    const remediation = control.remediationFor?.(snapshot) ?? control.remediation;
    return { ...base, remediation, status: verdict.status, resource: verdict.resource, detail: verdict.detail, ...(verdict.evidence ? { evidence: verdict.evidence } : {}) };
  } catch (error) {
    return { ...base, status: 'ERROR', resource: subject.arn, detail: `the check failed: ${(error as Error).message}` };
  }
}

export function summarize(results: AuditResult[]): AuditSummary {
  const count = (status: AuditResult['status']) => results.filter((r) => r.status === status).length;
  return { pass: count('PASS'), fail: count('FAIL'), error: count('ERROR'), skip: count('SKIP'), muted: count('MUTED') };
}

export function auditReport(meta: { stack: string; region: string; account: string }, controls: readonly Control[], snapshot: AuditSnapshot): AuditReport {
  const results = controls.map((control) => judge(control, snapshot));
  return { schemaVersion: AUDIT_SCHEMA_VERSION, bridgeVersion: VERSION, generatedAt: snapshot.now.toISOString(), ...meta, summary: summarize(results), results };
}

const ATTENTION = { FAIL: 0, ERROR: 1, MUTED: 2, SKIP: 3, PASS: 4 } as const;

/** Failing first, then unjudged, muted, skipped and passing; within each, the most severe first. */
export function byAttention(a: AuditResult, b: AuditResult): number {
  return ATTENTION[a.status] - ATTENTION[b.status] || SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity);
}

/** FAIL results at or above the threshold (critical is highest). */
export function failingAtOrAbove(results: AuditResult[], threshold: Severity): AuditResult[] {
  const limit = SEVERITIES.indexOf(threshold);
  return results.filter((r) => r.status === 'FAIL' && SEVERITIES.indexOf(r.severity) <= limit);
}
