/**
 * AWS's own engines as a second opinion (bridge audit --aws-checks): what bridge asks IAM's policy
 * simulator and IAM Access Analyzer, and how it reads their documented answers (the simulator's
 * questions and answers are in simulator.ts). Pure: the calls are made in src/audit/aws-opinions.ts.
 *
 * Each engine is asked only what it can see:
 *  - SimulateCustomPolicy (IAM API Reference) takes identity policies and at most one resource
 *    policy, whose caller must then be an IAM user; it does not apply KMS's rule that the key
 *    policy must allow, and "simulation of resource-based policies isn't supported for IAM roles".
 *    So the role's and the operator's requests are simulated on their identity policies (the
 *    operator's S3 requests with the bucket policy too), bridge's evaluator is asked the same
 *    question on the same documents, and the two must agree.
 *  - CheckAccessNotGranted takes one policy and no request context: it proves the "never" rows
 *    that hold whatever the context (the role never reads or deletes the data, operators never
 *    write). At most one access entry of at most 100 actions and 100 resources per call.
 *  - CheckNoPublicAccess: each live resource policy, by its resource type.
 *  - ValidatePolicy: every template, rendered for the stack.
 */
import type { CheckAccessNotGrantedCommandInput, CheckNoPublicAccessCommandInput, ValidatePolicyCommandInput } from '@aws-sdk/client-accessanalyzer';
import { partitionValues, type StackNames } from '../names.js';
import type { PolicyDocument } from '../policy.js';
import { renderTemplate, type TemplateName } from '../templates.js';
import type { NamedPolicy } from './evaluate.js';
import type { StackPolicies } from './judge.js';
import type { SimulationPlan, SimulatorAnswer } from './simulator.js';

// ---------------------------------------------------------------- Access Analyzer's policy checks

export interface PolicyCheck {
  /** What it proves, for people: "the execution role never reads, lists or deletes the data". */
  says: string;
  /** The document checked: "inline policy S-ingest of role ...", "bucket policy". */
  policy: string;
}

export interface NotGrantedCheck extends PolicyCheck {
  input: CheckAccessNotGrantedCommandInput;
}

export interface NoPublicAccessCheck extends PolicyCheck {
  input: CheckNoPublicAccessCommandInput;
}

/** Actions that change the stack, its key or its secret: nobody of the stack may take them. */
const CHANGES_THE_STACK = [
  'lambda:UpdateFunctionCode',
  'lambda:UpdateFunctionConfiguration',
  'lambda:AddPermission',
  'lambda:DeleteFunction',
  'iam:PutRolePolicy',
  'iam:AttachRolePolicy',
  'iam:PutUserPolicy',
  'iam:AttachUserPolicy',
  'iam:PutGroupPolicy',
  'iam:AttachGroupPolicy',
  'iam:PassRole',
  'kms:PutKeyPolicy',
  'kms:CreateGrant',
  'kms:ScheduleKeyDeletion',
  'kms:DisableKey',
  'ssm:PutParameter',
  'ssm:DeleteParameter',
  's3:PutBucketPolicy',
  's3:DeleteBucketPolicy',
  's3:PutEncryptionConfiguration',
  's3:PutBucketVersioning',
  's3:PutLifecycleConfiguration',
  's3:PutBucketPublicAccessBlock',
];

const READS_OR_DELETES_DATA = ['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket', 's3:ListBucketVersions', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObjectAcl'];
const WRITES_DATA = ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObjectAcl', 's3:RestoreObject'];

/** The "never" rows that hold whatever the request's context, one check per document. */
export function notGrantedChecks(n: StackNames, policies: StackPolicies): NotGrantedCheck[] {
  const data = [n.bucketArn, `${n.bucketArn}/*`];
  const checks: NotGrantedCheck[] = [];
  const identity = (owned: NamedPolicy[], says: string, actions: string[], resources?: string[]) => {
    for (const p of owned) {
      checks.push({
        says,
        policy: p.name,
        input: { policyDocument: JSON.stringify(p.document), policyType: 'IDENTITY_POLICY', access: [resources ? { actions, resources } : { actions }] },
      });
    }
  };
  identity(policies.role, 'the execution role never reads, lists or deletes the data', READS_OR_DELETES_DATA, data);
  identity(policies.role, 'the execution role never changes the stack, its key or its secret', CHANGES_THE_STACK);
  // Decrypt outside S3 and SSM depends on kms:ViaService, which this check cannot be told: the
  // simulator's cells cover it. What needs no context: no other use of a key.
  identity(policies.role, 'the execution role never encrypts, re-encrypts or makes plaintext-free data keys itself', ['kms:Encrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKeyWithoutPlaintext']);
  identity(policies.operator, 'operators never write or delete data', WRITES_DATA, data);
  identity(policies.operator, 'operators never change the stack, its key or its secret, nor read the secret', [
    ...CHANGES_THE_STACK,
    'ssm:GetParameter',
    'kms:Encrypt',
    'kms:GenerateDataKey',
    'logs:PutLogEvents',
    'logs:DeleteLogGroup',
    'apigateway:PUT',
    'apigateway:POST',
    'apigateway:PATCH',
    'apigateway:DELETE',
  ]);
  if (policies.bucket) {
    checks.push({
      says: 'the bucket policy grants nothing (access comes from the stack identity policies alone)',
      policy: 'bucket policy',
      input: { policyDocument: JSON.stringify(policies.bucket), policyType: 'RESOURCE_POLICY', access: [{ actions: [...new Set([...READS_OR_DELETES_DATA, ...WRITES_DATA, 's3:PutBucketPolicy'])], resources: data }] },
    });
  }
  if (policies.function) {
    checks.push({
      says: 'the function policy lets nobody read or change the function',
      policy: 'function policy',
      input: {
        policyDocument: JSON.stringify(policies.function),
        policyType: 'RESOURCE_POLICY',
        access: [{ actions: ['lambda:GetFunction', 'lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration', 'lambda:AddPermission', 'lambda:DeleteFunction'], resources: [n.functionArn] }],
      },
    });
  }
  return checks;
}

/** Each live resource policy, asked whether it lets anyone outside the account in. */
export function noPublicAccessChecks(policies: StackPolicies): NoPublicAccessCheck[] {
  const documents: [string, PolicyDocument | null, CheckNoPublicAccessCommandInput['resourceType']][] = [
    ['bucket policy', policies.bucket, 'AWS::S3::Bucket'],
    ['key policy', policies.key, 'AWS::KMS::Key'],
    ['function policy', policies.function, 'AWS::Lambda::Function'],
    ['trust policy', policies.trust, 'AWS::IAM::AssumeRolePolicyDocument'],
  ];
  return documents.flatMap(([policy, document, resourceType]) =>
    document ? [{ says: `the ${policy} grants no public access`, policy, input: { policyDocument: JSON.stringify(document), resourceType } }] : [],
  );
}

export interface PolicyCheckAnswer {
  check: PolicyCheck;
  result: 'PASS' | 'FAIL';
  message: string;
  /** Access Analyzer's reasons, each with the statement it points at. */
  reasons: string[];
}

/** Reads a CheckAccessNotGranted or CheckNoPublicAccess answer ({result, message, reasons}). */
export function readPolicyCheck(
  check: PolicyCheck,
  answer: { result?: string | undefined; message?: string | undefined; reasons?: { description?: string | undefined; statementId?: string | undefined; statementIndex?: number | undefined }[] | undefined },
): PolicyCheckAnswer {
  if (answer.result !== 'PASS' && answer.result !== 'FAIL') throw new Error(`Access Analyzer answered '${answer.result}' for ${check.policy}, which bridge does not know`);
  const reasons = (answer.reasons ?? []).map((r) => {
    const where = r.statementId ? `statement ${r.statementId}` : r.statementIndex !== undefined ? `statement ${r.statementIndex + 1}` : null;
    return `${r.description ?? 'no description'}${where ? ` (${where})` : ''}`;
  });
  return { check, result: answer.result, message: answer.message ?? '', reasons };
}

// ---------------------------------------------------------------- ValidatePolicy

export interface TemplateValidation {
  template: TemplateName;
  input: ValidatePolicyCommandInput;
}

/**
 * Every template as the stack would hold it: the intended documents setup writes, and the account-
 * and deployer-level ones rendered with the stack's partition and account.
 */
export function templateValidations(n: StackNames, intended: Partial<Record<TemplateName, PolicyDocument>>): TemplateValidation[] {
  const rendered: Record<TemplateName, PolicyDocument | undefined> = {
    'execution-role-policy': intended['execution-role-policy'],
    'execution-role-trust': intended['execution-role-trust'],
    'operators-policy': intended['operators-policy'],
    'bucket-policy': intended['bucket-policy'],
    'kms-key-policy': intended['kms-key-policy'],
    // Only where the stack has a schedule.
    'scheduler-role-trust': intended['scheduler-role-trust'],
    'scheduler-role-policy': intended['scheduler-role-policy'],
    'apigateway-logs-trust': intended['apigateway-logs-trust'] ?? renderTemplate('apigateway-logs-trust', partitionValues(n)),
    'apigateway-logs-policy': intended['apigateway-logs-policy'] ?? renderTemplate('apigateway-logs-policy', partitionValues(n)),
    'deployer-policy': intended['deployer-policy'] ?? renderTemplate('deployer-policy', partitionValues(n)),
  };
  const kinds: Record<TemplateName, Pick<ValidatePolicyCommandInput, 'policyType' | 'validatePolicyResourceType'>> = {
    'execution-role-policy': { policyType: 'IDENTITY_POLICY' },
    'operators-policy': { policyType: 'IDENTITY_POLICY' },
    'apigateway-logs-policy': { policyType: 'IDENTITY_POLICY' },
    'deployer-policy': { policyType: 'IDENTITY_POLICY' },
    'execution-role-trust': { policyType: 'RESOURCE_POLICY', validatePolicyResourceType: 'AWS::IAM::AssumeRolePolicyDocument' },
    'scheduler-role-policy': { policyType: 'IDENTITY_POLICY' },
    'scheduler-role-trust': { policyType: 'RESOURCE_POLICY', validatePolicyResourceType: 'AWS::IAM::AssumeRolePolicyDocument' },
    'apigateway-logs-trust': { policyType: 'RESOURCE_POLICY', validatePolicyResourceType: 'AWS::IAM::AssumeRolePolicyDocument' },
    'bucket-policy': { policyType: 'RESOURCE_POLICY', validatePolicyResourceType: 'AWS::S3::Bucket' },
    // ValidatePolicy has no KMS resource type: a key policy is checked as a generic resource policy.
    'kms-key-policy': { policyType: 'RESOURCE_POLICY' },
  };
  return (Object.keys(kinds) as TemplateName[]).flatMap((template) => {
    const document = rendered[template];
    return document ? [{ template, input: { policyDocument: JSON.stringify(document), locale: 'EN', ...kinds[template] } }] : [];
  });
}

export interface ValidationFinding {
  type: 'ERROR' | 'SECURITY_WARNING' | 'WARNING' | 'SUGGESTION';
  code: string;
  details: string;
  link: string;
  /** Where in the document: "Statement[2].Action[0]". */
  path: string;
}

export interface ValidationAnswer {
  template: TemplateName;
  findings: ValidationFinding[];
}

const FINDING_TYPES = new Set(['ERROR', 'SECURITY_WARNING', 'WARNING', 'SUGGESTION']);

type PathElement = { index?: number | undefined; key?: string | undefined; value?: string | undefined; substring?: unknown };

function pathText(path: PathElement[] | undefined): string {
  return (path ?? [])
    // AWS names object keys with `value` ({"value": "Statement"}, {"index": 0}, {"value": "Action"}).
    .map((p) => (p.index !== undefined ? `[${p.index}]` : (p.value ?? p.key) !== undefined ? `.${p.value ?? p.key}` : ''))
    .join('')
    .replace(/^\./, '');
}

/** Reads ValidatePolicy findings (all pages) for one template. */
export function readValidation(
  template: TemplateName,
  findings: { findingType?: string | undefined; issueCode?: string | undefined; findingDetails?: string | undefined; learnMoreLink?: string | undefined; locations?: { path?: PathElement[] | undefined }[] | undefined }[],
): ValidationAnswer {
  return {
    template,
    findings: findings.map((f) => {
      if (!FINDING_TYPES.has(f.findingType ?? '')) throw new Error(`ValidatePolicy gave a finding of type '${f.findingType}' for ${template}, which bridge does not know`);
      return {
        type: f.findingType as ValidationFinding['type'],
        code: f.issueCode ?? '',
        details: f.findingDetails ?? '',
        link: f.learnMoreLink ?? '',
        path: (f.locations ?? []).map((l) => pathText(l.path)).join(', '),
      };
    }),
  };
}

// ---------------------------------------------------------------- the engines' outcomes

export type EngineOutcome<T> =
  | { status: 'answered'; answers: T }
  /** Denied to these credentials, or not offered where bridge asked: said in one line, and the audit carries on. */
  | { status: 'unavailable'; reason: string }
  /** It was asked and failed (throttled past the retries, a 5xx): the control is ERROR. */
  | { status: 'failed'; reason: string };

export interface AwsOpinions {
  simulator: EngineOutcome<{ answers: SimulatorAnswer[]; beyond: SimulationPlan['beyond'] }>;
  notGranted: EngineOutcome<PolicyCheckAnswer[]>;
  noPublicAccess: EngineOutcome<PolicyCheckAnswer[]>;
  validation: EngineOutcome<ValidationAnswer[]>;
}

/**
 * Why an engine cannot be asked here, from its error, or null when the error is a real failure.
 * Denied: HTTP 403 or an AccessDenied code. Absent: 404/501, an unknown operation, or an answer
 * that is not AWS's at all (the local AWS answers operations it lacks with an HTML 500 page).
 */
export function unavailability(error: unknown): string | null {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name ?? '';
  if (status === 403 || /AccessDenied|NotAuthorized|UnauthorizedOperation/i.test(name)) return `denied to these credentials (${name || `HTTP ${status}`})`;
  if (status === 404 || status === 501 || /UnknownOperation|InvalidAction|NotImplemented/i.test(name)) return `not offered by this endpoint (${name || `HTTP ${status}`})`;
  if (e instanceof SyntaxError || /Deserialization error/i.test(e?.message ?? '')) return `not implemented by this endpoint (its answer is not AWS's${status ? `, HTTP ${status}` : ''})`;
  return null;
}
