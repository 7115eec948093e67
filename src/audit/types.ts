/** The audit's data: controls, the snapshot they judge, and their results (the JSON contract). */
import type { AwsOpinions } from '../access/aws-checks.js';
import type { StackNames } from '../names.js';
import type { KeyGrant } from '../resources/kms-key.js';
import type { PolicyDocument } from '../policy.js';
import type { ActionCatalogue } from './permissions.js';

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
export type Status = 'PASS' | 'FAIL' | 'ERROR' | 'SKIP';
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
  /** AWS's own engines' answers, with audit --aws-checks only. */
  aws?: AwsOpinions;
}

export interface Verdict {
  status: 'PASS' | 'FAIL' | 'SKIP';
  detail: string;
  /** The live resource judged (name or ARN). */
  resource: string;
}

export interface Control {
  id: string;
  title: string;
  severity: Severity;
  /** For grouping in reports. */
  service: 'kms' | 's3' | 'iam' | 'lambda' | 'logs' | 'ssm' | 'api' | 'stack';
  /** "Security Hub S3.8", "Prowler s3_bucket_level_public_access_block" ... */
  frameworks: string[];
  remediation: string;
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
  resource: string;
  detail: string;
  remediation: string;
  frameworks: string[];
}

export interface AuditSummary {
  pass: number;
  fail: number;
  error: number;
  skip: number;
}

export interface AuditReport {
  stack: string;
  region: string;
  account: string;
  summary: AuditSummary;
  results: AuditResult[];
}
