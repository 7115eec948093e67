/**
 * The audit as SARIF 2.1.0 for GitHub code scanning: one rule per control, one result per failure,
 * located at the repository file that holds what is intended, with a stable fingerprint so repeated
 * uploads do not duplicate alerts. Pure.
 */
import { createHash } from 'node:crypto';
import type { AuditReport, Control, Severity } from '../types.js';

/** GitHub reads security-severity: 9.0+ critical, 7.0-8.9 high, 4.0-6.9 medium, below low. */
export const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '1.0' };
const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };

export function fingerprint(ruleId: string, resource: string): string {
  return createHash('sha256').update(`${ruleId}\n${resource}`).digest('hex').slice(0, 32);
}

export function renderSarif(report: AuditReport, controls: readonly Control[], version: string): unknown {
  const ruleIndex = new Map(controls.map((c, i) => [c.id, i]));
  const byId = new Map(controls.map((c) => [c.id, c]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'bridge',
            version,
            rules: controls.map((c) => ({
              id: c.id,
              name: c.id.replace(/(^|-)(\w)/g, (_, __, ch: string) => ch.toUpperCase()),
              shortDescription: { text: c.title },
              fullDescription: { text: `${c.title}.${c.frameworks.length ? ` Maps to: ${c.frameworks.join(', ')}.` : ''}` },
              help: { text: c.remediation, markdown: `**Fix:** ${c.remediation}${c.frameworks.length ? `\n\nMaps to: ${c.frameworks.join(', ')}` : ''}` },
              defaultConfiguration: { level: LEVEL[c.severity] },
              properties: { tags: ['security', 'aws', c.service], 'security-severity': SECURITY_SEVERITY[c.severity], precision: 'high' },
            })),
          },
        },
        automationDetails: { id: `bridge-audit/${report.stack}/${report.region}/` },
        results: report.results
          .filter((r) => r.status === 'FAIL')
          .map((r) => ({
            ruleId: r.id,
            ruleIndex: ruleIndex.get(r.id),
            level: LEVEL[r.severity],
            message: { text: `${r.resource}: ${r.detail}` },
            locations: [{ physicalLocation: { artifactLocation: { uri: byId.get(r.id)?.source ?? 'README.md' }, region: { startLine: 1 } } }],
            partialFingerprints: { 'bridgeResource/v1': fingerprint(r.id, r.resource) },
            properties: { resource: r.resource, account: report.account, region: report.region },
          })),
      },
    ],
  };
}
