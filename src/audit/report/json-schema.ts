/**
 * The JSON report's schema (draft-07), published as schema/audit-report.schema.json (npm run docs
 * writes it; a unit test fails while it is stale, and another validates real reports against it).
 */
import { SEVERITIES, AUDIT_SCHEMA_VERSION } from '../types.js';

const STATUSES = ['PASS', 'FAIL', 'ERROR', 'SKIP', 'MUTED'];
const FRAMEWORKS = ['Security Hub', 'Prowler', 'IAM Access Analyzer', 'IAM policy simulator', 'AWS documentation'];
const text = { type: 'string' };
const count = { type: 'integer', minimum: 0 };

export function auditReportJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'bridge audit report',
    description: `What bridge audit --format json writes (schema ${AUDIT_SCHEMA_VERSION}: a new minor version adds fields, a new major one changes them).`,
    type: 'object',
    additionalProperties: false,
    required: ['schemaVersion', 'bridgeVersion', 'generatedAt', 'stack', 'region', 'account', 'summary', 'results'],
    properties: {
      schemaVersion: { const: AUDIT_SCHEMA_VERSION },
      bridgeVersion: text,
      generatedAt: { type: 'string', format: 'date-time', description: 'When the stack was read (UTC).' },
      stack: text,
      region: text,
      account: { type: 'string', pattern: '^\\d{12}$' },
      summary: {
        type: 'object',
        additionalProperties: false,
        required: ['pass', 'fail', 'error', 'skip', 'muted'],
        properties: { pass: count, fail: count, error: count, skip: count, muted: count },
      },
      results: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'title', 'severity', 'status', 'resource', 'resourceKind', 'resourceArn', 'detail', 'remediation', 'frameworks'],
          properties: {
            id: { type: 'string', pattern: '^[a-z0-9-]+$' },
            title: text,
            severity: { enum: [...SEVERITIES] },
            status: { enum: STATUSES, description: 'ERROR: could not be judged (a read failed); MUTED: a FAIL accepted in the mutelist.' },
            resource: { type: 'string', description: 'The live resource judged, by name or ARN.' },
            resourceKind: { type: 'string', description: "The kind of resource the control is about (bucket, function, ...), or 'stack'." },
            resourceArn: { type: 'string', description: 'Its ARN, the same whatever the status ("stack S" for the stack as a whole).' },
            detail: text,
            remediation: text,
            frameworks: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['framework', 'id'],
                properties: { framework: { enum: FRAMEWORKS }, id: text, relation: { const: 'related' } },
              },
            },
            evidence: {
              type: 'object',
              description: 'For a FAIL that compared documents or settings: the live one beside the intended one (never a secret).',
              additionalProperties: false,
              required: ['what', 'live', 'intended'],
              properties: { what: text, live: {}, intended: {} },
            },
            mute: {
              type: 'object',
              additionalProperties: false,
              required: ['reason', 'expires'],
              properties: { reason: text, expires: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } },
            },
          },
        },
      },
    },
  };
}
