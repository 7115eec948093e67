/** The audit's report as CI consumes it: SARIF's completeness and identity, the mutelist, filters, outputs, the JSON Schema. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CONTROLS } from '../../src/audit/controls/index.js';
import { frameworkLabel, frameworkUri } from '../../src/audit/frameworks.js';
import { applyMutelist, parseMutelist } from '../../src/audit/mutelist.js';
import { evidenceDiff, renderHtml } from '../../src/audit/report/html.js';
import { auditReportJsonSchema } from '../../src/audit/report/json-schema.js';
import { renderMarkdown } from '../../src/audit/report/markdown.js';
import { renderSarif } from '../../src/audit/report/sarif.js';
import { auditReport, summarize } from '../../src/audit/run.js';
import { selectControls } from '../../src/audit/select.js';
import type { AuditReport, AuditSnapshot } from '../../src/audit/types.js';
import { routeOutputs, sarifLocation } from '../../src/commands/audit-options.js';
import { stackNames } from '../../src/names.js';
import { emptySnapshot } from '../support/audit-snapshot.js';

const names = stackNames('s14', '111122223333', 'eu-west-1');

const snapshot = (over: Partial<AuditSnapshot> = {}) => emptySnapshot(names, { localCodeSha256: 'abc', ...over });

const meta = { stack: 's14', region: 'eu-west-1', account: '111122223333' };
const controls = CONTROLS.filter((c) => ['s3-versioning', 'lambda-tracing', 'kms-rotation'].includes(c.id));

/** Nothing exists: every control FAILs ("does not exist: run bridge setup"); `denied` makes reads fail. */
const reportOf = (denied: string[] = []): AuditReport =>
  auditReport(meta, controls, snapshot({ errors: new Map(denied.map((kind) => [kind, 'AccessDeniedException: not allowed'])) }));

type SarifRun = {
  invocations: { executionSuccessful: boolean; toolExecutionNotifications: { associatedRule: { id: string } }[] }[];
  results: { ruleId: string; kind: string; partialFingerprints: Record<string, string>; locations: { physicalLocation?: unknown; logicalLocations: { fullyQualifiedName: string }[] }[] }[];
  automationDetails: { id: string };
  properties: { muted: { ruleId: string; reason: string }[] };
  tool: { driver: { rules: { id: string; helpUri?: string }[] } };
};
const sarifRun = (report: AuditReport, location?: string) => (renderSarif(report, controls, { version: '9.9.9', ...(location ? { location } : {}) }) as { runs: SarifRun[] }).runs[0] as SarifRun;

describe('SARIF as code scanning reads it', () => {
  it('keeps an unjudged control as a result with the same fingerprint, and says the run is incomplete', () => {
    const failing = sarifRun(reportOf());
    const unread = sarifRun(reportOf(['bucket']));
    const versioningFail = failing.results.find((r) => r.ruleId === 's3-versioning');
    const versioningError = unread.results.find((r) => r.ruleId === 's3-versioning');
    expect(versioningFail?.kind).toBe('fail');
    expect(versioningError?.kind).toBe('open');
    // The alert of the FAIL stays open while the control cannot be judged.
    expect(versioningError?.partialFingerprints).toEqual(versioningFail?.partialFingerprints);
    expect(failing.invocations[0]?.executionSuccessful).toBe(true);
    expect(unread.invocations[0]?.executionSuccessful).toBe(false);
    expect(unread.invocations[0]?.toolExecutionNotifications.map((n) => n.associatedRule.id)).toEqual(['s3-versioning']);
  });

  it('locates results at the live resource, and at a repository file only when there is one', () => {
    const withFile = sarifRun(reportOf(), 'bridge.config.json');
    const without = sarifRun(reportOf());
    const location = withFile.results.find((r) => r.ruleId === 's3-versioning')?.locations[0];
    expect(location?.logicalLocations[0]?.fullyQualifiedName).toBe(names.bucketArn);
    expect(location?.physicalLocation).toEqual({ artifactLocation: { uri: 'bridge.config.json' }, region: { startLine: 1 } });
    expect(without.results[0]?.locations[0]?.physicalLocation).toBeUndefined();
    expect(JSON.stringify(withFile)).not.toContain('src/resources');
  });

  it('is one category per account, region and stack, with rules linked to the documented checks', () => {
    const run = sarifRun(reportOf());
    expect(run.automationDetails.id).toBe('bridge-audit/111122223333/eu-west-1/s14/');
    const versioning = run.tool.driver.rules.find((r) => r.id === 's3-versioning');
    expect(versioning?.helpUri).toMatch(/^https:\/\/docs\.aws\.amazon\.com\/securityhub\/latest\/userguide\/s3-controls\.html#s3-\d+$/);
  });

  it('leaves muted findings out of the results (GitHub would open them) and lists them with their reasons', () => {
    const report = reportOf();
    const mutes = parseMutelist(JSON.stringify({ mutes: [{ control: 'lambda-tracing', resource: '*', reason: 'tracing is billed; accepted by security', expires: '2027-01-31' }] }), 'm.json', CONTROLS.map((c) => c.id));
    const results = applyMutelist(report.results, mutes, new Date('2026-12-03T10:00:00Z'));
    const run = sarifRun({ ...report, results, summary: summarize(results) });
    expect(run.results.map((r) => r.ruleId)).not.toContain('lambda-tracing');
    expect(run.properties.muted).toEqual([expect.objectContaining({ ruleId: 'lambda-tracing', reason: 'tracing is billed; accepted by security' })]);
  });
});

describe('the mutelist', () => {
  const ids = CONTROLS.map((c) => c.id);
  const entry = { control: 's3-versioning', resource: names.bucketArn, reason: 'archive bucket', expires: '2026-12-03' };

  it('mutes a FAIL through the last day of its entry, then the FAIL counts again and says so', () => {
    const mutes = parseMutelist(JSON.stringify({ mutes: [entry] }), 'm.json', ids);
    const onLastDay = applyMutelist(reportOf().results, mutes, new Date('2026-12-03T23:59:00Z'));
    expect(onLastDay.find((r) => r.id === 's3-versioning')).toMatchObject({ status: 'MUTED', mute: { reason: 'archive bucket', expires: '2026-12-03' } });
    expect(summarize(onLastDay).muted).toBe(1);
    const after = applyMutelist(reportOf().results, mutes, new Date('2026-12-04T00:00:01Z'));
    expect(after.find((r) => r.id === 's3-versioning')).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('its mute expired on 2026-12-03: archive bucket') });
  });

  it('never mutes an unjudged control, nor another resource', () => {
    const mutes = parseMutelist(JSON.stringify({ mutes: [entry, { ...entry, control: 'kms-rotation', resource: 'arn:aws:kms:eu-west-1:111122223333:key/other' }] }), 'm.json', ids);
    const results = applyMutelist(reportOf(['bucket']).results, mutes, new Date('2026-12-01T00:00:00Z'));
    expect(results.find((r) => r.id === 's3-versioning')?.status).toBe('ERROR');
    expect(results.find((r) => r.id === 'kms-rotation')?.status).toBe('FAIL');
  });

  it.each([
    [{ mutes: [{ ...entry, control: 's3-versioning-typo' }] }, /entry 1: no control 's3-versioning-typo'/],
    [{ mutes: [{ ...entry, expires: 'soon' }] }, /expires 'soon' is not a date: give YYYY-MM-DD/],
    [{ mutes: [{ control: 's3-versioning', resource: '*', expires: '2027-01-01' }] }, /"reason" is missing/],
    [{ mutes: [{ ...entry, owner: 'me' }] }, /unknown field owner/],
    [[entry], /expected \{"mutes"/],
  ])('refuses %j as a usage error naming the entry', (document, message) => {
    expect(() => parseMutelist(JSON.stringify(document), 'm.json', ids)).toThrow(message);
  });
});

describe('choosing controls', () => {
  it('takes ids, exclusions and severities as Prowler users give them', () => {
    expect(selectControls(CONTROLS, { only: 's3-versioning,kms-rotation' }).map((c) => c.id)).toEqual(CONTROLS.filter((c) => ['s3-versioning', 'kms-rotation'].includes(c.id)).map((c) => c.id));
    expect(selectControls(CONTROLS, { except: 's3-versioning' })).toHaveLength(CONTROLS.length - 1);
    expect(selectControls(CONTROLS, { severities: 'critical' }).every((c) => c.severity === 'critical')).toBe(true);
  });

  it('refuses an unknown id or severity, and filters that leave nothing', () => {
    expect(() => selectControls(CONTROLS, { only: 's3-versionning' })).toThrow(/--controls: no control 's3-versionning'/);
    expect(() => selectControls(CONTROLS, { severities: 'urgent' })).toThrow(/invalid --severity 'urgent'/);
    expect(() => selectControls(CONTROLS, { only: 's3-versioning', except: 's3-versioning' })).toThrow(/leave no control/);
  });
});

describe('where each format goes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-outputs-'));

  it('sends one format to stdout, several to a folder or to named files', () => {
    expect(routeOutputs({}, false)).toEqual([{ format: 'table' }]);
    expect(routeOutputs({}, true)).toEqual([{ format: 'json' }]);
    expect(routeOutputs({ format: 'table,sarif,markdown', outputDir: join(dir, 'reports') }, false)).toEqual([
      { format: 'table', path: join(dir, 'reports', 'bridge-audit.txt') },
      { format: 'sarif', path: join(dir, 'reports', 'bridge-audit.sarif') },
      { format: 'markdown', path: join(dir, 'reports', 'bridge-audit.md') },
    ]);
    expect(routeOutputs({ format: 'table,sarif', outputFile: [`sarif=${join(dir, 'a.sarif')}`] }, false)).toEqual([{ format: 'table' }, { format: 'sarif', path: join(dir, 'a.sarif') }]);
    // Under --json the JSON report stays on stdout; the folder takes the rest.
    expect(routeOutputs({ format: 'json,sarif', outputDir: dir }, true)).toEqual([{ format: 'json' }, { format: 'sarif', path: join(dir, 'bridge-audit.sarif') }]);
  });

  it.each([
    [{ outputFile: ['json'] }, /--output-file json: that is a format, not a file; use --format json/],
    [{ output: join(dir, 'r.json') }, /write a report to a file with --output-file PATH/],
    [{ format: 'table,sarif' }, /stdout can hold one report, not table and sarif/],
    [{ format: 'table,sarif', outputFile: [join(dir, 'x')] }, /say which goes there \(--output-file sarif=/],
    [{ format: 'csv' }, /invalid --format 'csv': use table, json, sarif, markdown, html/],
    [{ format: 'sarif,sarif', outputDir: dir }, /names a format twice/],
    [{ outputFile: [join(dir, 'missing', 'r.txt')] }, /the folder .* does not exist/],
  ])('refuses %j before any AWS call', (options, message) => {
    expect(() => routeOutputs(options, false)).toThrow(message);
  });

  it("takes the AWS CLI's --output json as the format", () => {
    expect(routeOutputs({ output: 'json' }, false)).toEqual([{ format: 'json' }]);
  });

  it('points SARIF at a file of the repository: the config file by default, never one outside', () => {
    const repo = mkdtempSync(join(tmpdir(), 'bridge-repo-'));
    expect(sarifLocation(undefined, undefined, repo)).toBeUndefined();
    writeFileSync(join(repo, 'bridge.config.json'), '{}');
    expect(sarifLocation(undefined, undefined, repo)).toBe('bridge.config.json');
    expect(() => sarifLocation('../elsewhere.yml', undefined, join(repo))).toThrow(/does not exist|outside this folder/);
    expect(() => sarifLocation(join(dir, 'a.sarif'), undefined, repo)).toThrow(/does not exist|outside/);
  });
});

describe('the JSON report', () => {
  it('is what schema/audit-report.schema.json holds (npm run docs writes it)', () => {
    expect(JSON.parse(readFileSync(new URL('../../schema/audit-report.schema.json', import.meta.url), 'utf8'))).toEqual(auditReportJsonSchema());
  });

  it('validates against its schema, muted and unjudged results included, and carries its provenance', () => {
    const require = createRequire(import.meta.url);
    const Ajv = require('ajv') as new (options: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown } };
    const validate = new Ajv({ strict: true, validateFormats: false }).compile(auditReportJsonSchema());
    const report = reportOf(['bucket']);
    const mutes = parseMutelist(JSON.stringify({ mutes: [{ control: 'lambda-tracing', resource: '*', reason: 'accepted', expires: '2027-01-01' }] }), 'm.json', CONTROLS.map((c) => c.id));
    const results = applyMutelist(report.results, mutes, new Date('2026-12-03T10:00:00Z'));
    const document = JSON.parse(JSON.stringify({ ...report, results, summary: summarize(results) }));
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
    expect(document).toMatchObject({ schemaVersion: '1.1', generatedAt: '2026-12-03T10:00:00.000Z', account: '111122223333' });
    expect(validate({ ...document, results: [{ ...document.results[0], frameworks: ['Security Hub S3.14'] }] })).toBe(false);
  });

  it('names frameworks as objects people and machines read alike', () => {
    expect(frameworkLabel({ framework: 'Security Hub', id: 'S3.14' })).toBe('Security Hub S3.14');
    expect(frameworkUri({ framework: 'Prowler', id: 's3_bucket_object_versioning' })).toBe('https://hub.prowler.com/check/s3_bucket_object_versioning');
    expect(frameworkUri({ framework: 'IAM Access Analyzer', id: 'ValidatePolicy' })).toBeNull();
  });

  it('and its Markdown say which bridge read the stack, and when', () => {
    expect(renderMarkdown(reportOf())).toMatch(/bridge \S+, report schema 1\.1, read at 2026-12-03T10:00:00\.000Z/);
  });
});

describe('the HTML report', () => {
  const bucket = { publicAccessBlock: null, ownership: 'BucketOwnerEnforced', versioning: 'Enabled', encryption: null, policy: null, lifecycle: [], tags: {} };
  const policyControl = CONTROLS.filter((c) => c.id === 's3-policy' || c.id === 'lambda-no-secrets-in-env');
  const hostile = { Version: '2012-10-17', Statement: [{ Sid: '<script>alert(1)</script>', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${names.bucketArn}/*` }] };
  const intendedPolicy = { Version: '2012-10-17', Statement: [{ Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [names.bucketArn, `${names.bucketArn}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] };
  const report = auditReport(
    meta,
    policyControl,
    snapshot({
      lives: new Map<string, unknown>([
        ['bucket', { ...bucket, policy: hostile }],
        ['function', { arn: names.functionArn, environment: { API_KEY: 'b6907d289e10d714a6e88b30761fae22' } }],
      ]),
      intended: new Map<string, unknown>([['bucket', { policy: intendedPolicy, keyAliases: [], encryption: {}, publicAccessBlock: {} }]]),
    }),
  );

  it("escapes what anyone wrote in a policy, and holds no secret a control read", () => {
    const html = renderHtml(report, policyControl);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('b6907d289e10d714a6e88b30761fae22');
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    // Failures first; the FAIL carries its evidence.
    expect(html.indexOf('control-s3-policy')).toBeGreaterThan(0);
    expect(report.results.find((r) => r.id === 's3-policy')?.evidence?.what).toBe('bucket policy');
    expect(report.results.find((r) => r.id === 'lambda-no-secrets-in-env')?.evidence).toBeUndefined();
  });

  it('diffs the live document against the intended one with sorted keys, folding long unchanged runs', () => {
    const same = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${String(i).padStart(2, '0')}`, i]));
    const lines = evidenceDiff({ what: 'x', live: { ...same, b: 1, a: 'live' }, intended: { a: 'intended', ...same, b: 1 } });
    expect(lines.filter((l) => l.kind === 'live').map((l) => l.text.trim())).toEqual(['"a": "live",']);
    expect(lines.filter((l) => l.kind === 'intended').map((l) => l.text.trim())).toEqual(['"a": "intended",']);
    // Key order is not a difference; 21 unchanged lines after the change fold to their last ones.
    expect(lines.find((l) => l.kind === 'folded')?.text).toMatch(/^\d+ unchanged lines$/);
    expect(lines.length).toBeLessThan(12);
  });
});
