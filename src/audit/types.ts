/** The audit's data: controls, the snapshot they judge, and their results (the JSON contract). */
import type { AwsOpinions } from '../access/aws-checks.js';
import type { StackNames } from '../names.js';
import type { KeyGrant } from '../resources/kms-key.js';
import type { PolicyDocument } from '../policy.js';
import type { ActionCatalogue } from './permissions.js';

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
/** MUTED: a FAIL someone accepted in the mutelist, until its entry expires (src/audit/mutelist.ts). */
export type Status = 'PASS' | 'FAIL' | 'ERROR' | 'SKIP' | 'MUTED';
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** How one stored object (handler/core.ts StoredObject) is protected, as S3 answers HeadObject. */
export interface ObjectProtection {
  key: string;
  versionId: string;
  encryption: string | null;
  kmsKeyId: string | null;
  checksumSha256: string | null;
}

/** What the Resource Groups Tagging API finds tagged for the stack, with the state of each key besides the stack's. */
export interface StackInventory {
  tagged: string[];
  otherKeys: Record<string, string>;
  /** The region of each tagged bucket that is not the stack's (S3 ARNs name none): the same stack name elsewhere. */
  otherBuckets: Record<string, string>;
}

/** Everything the controls judge, read once; checks are pure functions of it. */
export interface AuditSnapshot {
  names: StackNames;
  stack: string;
  dataPrefix: string;
  keyArn: string | null;
  keyId: string | null;
  now: Date;
  /** Live state by resource kind (null when absent). */
  lives: ReadonlyMap<string, unknown>;
  /** What each resource should be, by kind. */
  intended: ReadonlyMap<string, unknown>;
  /** Reads that failed, by what was read (resource kind, 'objects', 'managed-policies', 'bundle'). */
  errors: ReadonlyMap<string, string>;
  /** Documents of the managed policies attached to the stack's principals, by ARN. */
  managedPolicies: ReadonlyMap<string, PolicyDocument>;
  /** The newest stored objects under the data prefix. */
  objects: ObjectProtection[];
  /** Grants on the stack key. */
  grants: KeyGrant[];
  /** Everything tagged for the stack (null when it could not be read: see errors 'inventory'). */
  inventory: StackInventory | null;
  /** The local handler bundle's hash (what the deployed code should be). */
  localCodeSha256: string | null;
  actions: ActionCatalogue;
  /**
   * The age of the oldest message in the dead-letter queue, in seconds, from CloudWatch (SQS has
   * no attribute for it); null when the queue is empty, or CloudWatch has no recent datapoint.
   */
  deadLetterAgeSeconds: number | null;
  /** AWS's own engines' answers, with audit --aws-checks only. */
  aws?: AwsOpinions;
}

/** A check elsewhere that this control matches (or, `related`, only touches). */
export interface FrameworkRef {
  framework: 'Security Hub' | 'Prowler' | 'IAM Access Analyzer' | 'IAM policy simulator' | 'AWS documentation';
  id: string;
  relation?: 'related';
}

/**
 * What a FAIL compared, for a reviewer to see (the HTML report shows it as a diff): the live
 * document or setting beside the intended one. Only documents and settings, never a secret (no
 * function environment, no parameter value).
 */
export interface Evidence {
  /** What both sides are: "bucket policy", "inline and managed policies". */
  what: string;
  live: unknown;
  intended: unknown;
}

export interface Verdict {
  status: 'PASS' | 'FAIL' | 'SKIP';
  detail: string;
  /** The live resource judged (name or ARN). */
  resource: string;
  evidence?: Evidence;
}

export interface Control {
  id: string;
  title: string;
  severity: Severity;
  /** For grouping in reports. */
  service: 'kms' | 's3' | 'iam' | 'lambda' | 'logs' | 'ssm' | 'api' | 'schedule' | 'stack';
  /** Where the same check is known: { framework: 'Security Hub', id: 'S3.8' }, { framework: 'Prowler', id: 's3_bucket_level_public_access_block' }. */
  frameworks: FrameworkRef[];
  /** The fix in general words (the catalogue, SARIF's rule help). */
  remediation: string;
  /** The fix with this stack's real names (a result's remediation), where the general words name none. */
  remediationFor?(snapshot: AuditSnapshot): string;
  /** The repository file that holds what is intended (SARIF location). */
  source: string;
  /** What must have been read for the check to mean anything; a failed read makes it ERROR. */
  reads: string[];
  /** Resource kinds `audit --fix` re-applies through setup's code; empty when setup cannot fix it. */
  fixes: string[];
  check(snapshot: AuditSnapshot): Verdict;
}

export interface AuditResult {
  id: string;
  title: string;
  severity: Severity;
  status: Status;
  /** The live resource judged, by the name people know it by (or its ARN). */
  resource: string;
  /** What the control is about (src/audit/subjects.ts): the same whatever its status. */
  resourceKind: string;
  resourceArn: string;
  detail: string;
  remediation: string;
  frameworks: FrameworkRef[];
  /** Why a MUTED result is accepted, and until when (from the mutelist). */
  mute?: { reason: string; expires: string };
  /** For a FAIL that compared documents or settings: the live one and the intended one. */
  evidence?: Evidence;
}

export interface AuditSummary {
  pass: number;
  fail: number;
  error: number;
  skip: number;
  muted: number;
}

/** The JSON report's shape version (schema/audit-report.schema.json): a new minor adds fields (1.1: evidence), a new major changes them. */
export const AUDIT_SCHEMA_VERSION = '1.1';

export interface AuditReport {
  schemaVersion: typeof AUDIT_SCHEMA_VERSION;
  bridgeVersion: string;
  /** When the stack was read (ISO 8601, UTC). */
  generatedAt: string;
  stack: string;
  region: string;
  account: string;
  summary: AuditSummary;
  results: AuditResult[];
}
