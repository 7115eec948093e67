/**
 * The audit as SARIF 2.1.0 for GitHub code scanning. Pure.
 *
 * - One rule per control; one result per control that FAILed or could not be judged (ERROR): an
 *   absent result closes its alert, so a control that lost its read must not look fixed. The run's
 *   invocation says it was not complete (executionSuccessful false, one error notification per
 *   unjudged control).
 * - A result is located at the live resource (a logical location: its ARN and kind) and, since
 *   GitHub refuses results without a file, at a file of the user's repository when there is one
 *   (the config file, or --sarif-location); never at bridge's own sources.
 * - Its fingerprint is the control and the stack (account, region, name): one control judges one
 *   resource of a stack, so an alert keeps its identity across runs, and across FAIL and ERROR.
 * - automationDetails.id is per account, region and stack: uploads of other stacks do not close
 *   each other's alerts.
 * - Muted findings are left out of the results (GitHub ignores SARIF suppressions and would open
 *   them as alerts) and listed in the run's properties with their reasons.
 */
import { createHash } from 'node:crypto';
import type { AuditReport, AuditResult, Control, FrameworkRef, Severity } from '../types.js';
import { frameworkLabel, frameworkUri } from '../frameworks.js';

/** GitHub reads security-severity: 9.0+ critical, 7.0-8.9 high, 4.0-6.9 medium, below low. */
export const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '1.0' };
const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };

export interface SarifOptions {
  version: string;
  /** A repository file, relative to its root, every result also points at. */
  location?: string;
}

/** Stable per control and stack: the same alert whatever the run, the status or the wording. */
export function fingerprint(ruleId: string, stackIdentity: string): string {
  return createHash('sha256').update(`${ruleId}\n${stackIdentity}`).digest('hex').slice(0, 32);
}

const mapsTo = (frameworks: readonly FrameworkRef[]) => frameworks.map(frameworkLabel).join(', ');

function rule(c: Control) {
  // AWS's own page first, then Prowler's.
  const helpUri = [...c.frameworks].sort((a, b) => Number(b.framework === 'Security Hub') - Number(a.framework === 'Security Hub')).map(frameworkUri).find((uri) => uri !== null);
  return {
    id: c.id,
    name: c.id.replace(/(^|-)(\w)/g, (_, __, ch: string) => ch.toUpperCase()),
    shortDescription: { text: c.title },
    fullDescription: { text: `${c.title}.${c.frameworks.length ? ` Maps to: ${mapsTo(c.frameworks)}.` : ''}` },
    help: { text: c.remediation, markdown: `**Fix:** ${c.remediation}${c.frameworks.length ? `\n\nMaps to: ${mapsTo(c.frameworks)}` : ''}` },
    ...(helpUri ? { helpUri } : {}),
    defaultConfiguration: { level: LEVEL[c.severity] },
    properties: { tags: ['security', 'aws', c.service], 'security-severity': SECURITY_SEVERITY[c.severity], precision: 'high' },
  };
}

export function renderSarif(report: AuditReport, controls: readonly Control[], options: SarifOptions): unknown {
  const ruleIndex = new Map(controls.map((c, i) => [c.id, i]));
  const stackIdentity = `${report.account}/${report.region}/${report.stack}`;
  const location = (r: AuditResult) => ({
    ...(options.location ? { physicalLocation: { artifactLocation: { uri: options.location }, region: { startLine: 1 } } } : {}),
    logicalLocations: [{ name: r.resourceKind, fullyQualifiedName: r.resourceArn, kind: 'resource' }],
  });
  const reported = report.results.filter((r) => r.status === 'FAIL' || r.status === 'ERROR');
  const unjudged = report.results.filter((r) => r.status === 'ERROR');
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'bridge', version: options.version, semanticVersion: options.version, rules: controls.map(rule) } },
        automationDetails: { id: `bridge-audit/${stackIdentity}/` },
        invocations: [
          {
            executionSuccessful: unjudged.length === 0,
            endTimeUtc: report.generatedAt,
            toolExecutionNotifications: unjudged.map((r) => ({
              level: 'error',
              message: { text: `${r.id} could not be judged: ${r.detail}` },
              associatedRule: { id: r.id, index: ruleIndex.get(r.id) },
            })),
          },
        ],
        results: reported.map((r) => ({
          ruleId: r.id,
          ruleIndex: ruleIndex.get(r.id),
          // An unjudged control is no finding of its own, but its alert must stay open.
          level: r.status === 'ERROR' ? 'warning' : LEVEL[r.severity],
          kind: r.status === 'ERROR' ? 'open' : 'fail',
          message: { text: r.status === 'ERROR' ? `${r.resource}: could not be judged (${r.detail})` : `${r.resource}: ${r.detail}` },
          locations: [location(r)],
          partialFingerprints: { 'bridgeControl/v1': fingerprint(r.id, stackIdentity) },
          properties: { status: r.status, resource: r.resource, resourceArn: r.resourceArn, account: report.account, region: report.region, stack: report.stack },
        })),
        properties: {
          muted: report.results.filter((r) => r.status === 'MUTED').map((r) => ({ ruleId: r.id, resource: r.resourceArn, ...(r.mute ?? {}) })),
        },
      },
    ],
  };
}
