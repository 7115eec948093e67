/**
 * audit --aws-checks, the pure half: the questions bridge puts to IAM's policy simulator and IAM
 * Access Analyzer, and its reading of their answers, in the shapes the API references document:
 *  - IAM API Reference, SimulateCustomPolicy: CallerArn "can specify only the ARN of an IAM user"
 *    and is required with a ResourcePolicy; "simulation of resource-based policies isn't supported
 *    for IAM roles"; EvalDecision allowed | explicitDeny | implicitDeny.
 *  - IAM Access Analyzer API Reference, CheckAccessNotGranted: "access" holds at most 1 item, each
 *    with at most 100 actions and 100 resources; result PASS | FAIL with reasons.
 *  - CheckNoPublicAccess: resourceType AWS::S3::Bucket, AWS::KMS::Key, AWS::Lambda::Function,
 *    AWS::IAM::AssumeRolePolicyDocument ...
 *  - ValidatePolicy: findingType ERROR | SECURITY_WARNING | WARNING | SUGGESTION; locations[].path
 *    as [{"value":"Statement"},{"index":0},{"value":"Action"},{"index":0}].
 * The same calls through the real SDK, with AWS played by a loopback proxy: test/integration/aws-checks.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { emptySnapshot } from '../support/audit-snapshot.js';
import {
  notGrantedChecks,
  noPublicAccessChecks,
  readPolicyCheck,
  readValidation,
  templateValidations,
  unavailability,
  type AwsOpinions,
} from '../../src/access/aws-checks.js';
import { contextEntries, readSimulation, simulationPlan } from '../../src/access/simulator.js';
import type { StackPolicies } from '../../src/access/judge.js';
import { accessTable } from '../../src/access/table.js';
import { awsCheckControls } from '../../src/audit/controls/aws-checks.js';
import { judge } from '../../src/audit/run.js';
import type { AuditSnapshot } from '../../src/audit/types.js';
import { globMatches, type PolicyDocument } from '../../src/policy.js';
import { apiId, keyArn, n, templatePolicies } from '../support/template-policies.js';

const policies: StackPolicies = templatePolicies({ role: 'inline policy of the role', operator: 'group policy of the operators' });
const rows = accessTable(n, { keyArn, apiId, dataPrefix: 'raw/', scheduled: true });

describe('the questions for the policy simulator', () => {
  const plan = simulationPlan(rows, n, policies);
  const cells = plan.calls.flatMap((c) => c.cells);

  it("asks about every request of the roles and the operator, and no other principal's", () => {
    const askable = new Set(['execution-role', 'operator', 'scheduler-role']);
    expect(cells.map((c) => c.row)).toEqual(expect.arrayContaining(rows.filter((r) => askable.has(r.principal))));
    expect(cells.length + plan.beyond.length).toBe(rows.length);
    expect(new Set(cells.map((c) => c.row.principal))).toEqual(askable);
    expect(plan.beyond.find((b) => b.row.principal === 'scheduler-service')?.why).toMatch(/never a service principal/);
    expect(plan.beyond.find((b) => b.row.principal === 'api-gateway')?.why).toMatch(/never a service principal/);
  });

  it('sends a resource policy only with the operator, an IAM user, as the caller, and only for the bucket', () => {
    for (const call of plan.calls) {
      if (call.input.ResourcePolicy === undefined) continue;
      expect(call.input.CallerArn).toBe(n.operatorUserArn);
      expect(call.input.ResourceOwner).toBe('arn:aws:iam::111122223333:root');
      expect(call.input.ResourcePolicy).toBe(JSON.stringify(policies.bucket));
      expect(call.input.ResourceArns![0]!.startsWith(n.bucketArn)).toBe(true);
      expect(call.cells.every((c) => c.row.principal === 'operator')).toBe(true);
    }
    const roleS3 = plan.calls.filter((c) => c.cells[0]!.row.principal === 'execution-role' && c.input.ResourceArns![0]!.startsWith(n.bucketArn));
    expect(roleS3.length).toBeGreaterThan(0);
    expect(roleS3.every((c) => c.input.ResourcePolicy === undefined && c.input.CallerArn === undefined)).toBe(true);
    // The simulator does not apply KMS's key-policy rule: the key policy is never sent.
    expect(plan.calls.some((c) => c.input.ResourcePolicy?.includes('AccountAdministration'))).toBe(false);
  });

  it("judges each cell with bridge's evaluator on the same documents: identity policies alone for the role", () => {
    // Without the bucket policy, the role's upload over plain HTTP is allowed by its identity
    // policy alone; the bucket policy's TLS deny is what stops it (access-as-intended holds that).
    const plainUpload = cells.find((c) => c.row.principal === 'execution-role' && c.row.what === 'writes without TLS');
    expect(plainUpload?.scope).toBe('identity policies');
    expect(plainUpload?.ours.decision).toBe('allow');
    const operatorPlain = cells.find((c) => c.row.principal === 'operator' && c.row.what === 'reads without TLS');
    expect(operatorPlain?.scope).toBe('identity policies and the bucket policy');
    expect(operatorPlain?.ours).toMatchObject({ decision: 'deny', explicit: true });
  });

  it("groups requests of one principal, resource and context into one call, actions without wildcards", () => {
    const keys = plan.calls.map((c) => JSON.stringify([c.input.PolicyInputList, c.input.ResourceArns, c.input.ContextEntries, c.input.ResourcePolicy ?? null]));
    expect(new Set(keys).size).toBe(plan.calls.length);
    expect(plan.calls.length).toBeLessThan(cells.length);
    for (const call of plan.calls) for (const action of call.input.ActionNames!) expect(action).not.toContain('*');
  });

  it("types the context as IAM names it: booleans, strings, string lists, numbers", () => {
    expect(contextEntries({ 'aws:securetransport': true, 'kms:encryptioncontext:parameter_arn': 'arn:p', 'aws:sourcevpc': ['a', 'b'], 's3:max-keys': 10 })).toEqual([
      { ContextKeyName: 'aws:SecureTransport', ContextKeyType: 'boolean', ContextKeyValues: ['true'] },
      { ContextKeyName: 'aws:sourcevpc', ContextKeyType: 'stringList', ContextKeyValues: ['a', 'b'] },
      { ContextKeyName: 'kms:EncryptionContext:PARAMETER_ARN', ContextKeyType: 'string', ContextKeyValues: ['arn:p'] },
      { ContextKeyName: 's3:max-keys', ContextKeyType: 'numeric', ContextKeyValues: ['10'] },
    ]);
  });
});

describe("reading the simulator's answers", () => {
  const plan = simulationPlan(rows, n, policies);
  const call = plan.calls.find((c) => c.cells.some((cell) => cell.row.request.action === 's3:PutObject' && cell.row.principal === 'execution-role'))!;
  const cell = call.cells[0]!;

  it('reads EvalDecision and names the matched statement by policy', () => {
    const [answer] = readSimulation({ ...call, cells: [cell] }, [
      {
        EvalActionName: cell.row.request.action,
        EvalResourceName: cell.row.request.resource,
        EvalDecision: 'allowed',
        MatchedStatements: [{ SourcePolicyId: 'PolicyInputList.1', SourcePolicyType: 'none', StartPosition: { Line: 1, Column: 0 }, EndPosition: { Line: 1, Column: 4 } }],
        MissingContextValues: [],
      },
    ]);
    expect(answer).toMatchObject({ aws: 'allow', decision: 'allowed', matched: ['inline policy of the role'], missingContext: [] });
  });

  it('takes explicitDeny and implicitDeny as deny, and refuses a word it does not know or a missing result', () => {
    const one = (EvalDecision: string) => readSimulation({ ...call, cells: [cell] }, [{ EvalActionName: cell.row.request.action, EvalResourceName: cell.row.request.resource, EvalDecision: EvalDecision as 'allowed' }])[0]!;
    expect(one('explicitDeny').aws).toBe('deny');
    expect(one('implicitDeny').aws).toBe('deny');
    expect(() => one('maybe')).toThrow(/answered 'maybe'/);
    expect(() => readSimulation({ ...call, cells: [cell] }, [])).toThrow(/gave no result for s3:PutObject/);
  });
});

/** Whether any Allow of a document could grant one of the actions on one of the resources (no conditions read). */
function mayGrant(document: PolicyDocument, actions: string[], resources: string[] | undefined): string[] {
  const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
  return document.Statement.filter((st) => st.Effect === 'Allow').flatMap((st) =>
    actions.filter(
      (action) =>
        list(st.Action).some((pattern) => globMatches(pattern, action)) &&
        (!resources || list(st.Resource).some((pattern) => resources.some((r) => globMatches(pattern, r) || globMatches(r, pattern)))),
    ),
  );
}

describe('the never rows for CheckAccessNotGranted', () => {
  const checks = notGrantedChecks(n, policies);

  it('one access entry each, at most 100 actions and 100 resources, on every identity policy and the bucket and function policies', () => {
    for (const check of checks) {
      expect(check.input.access).toHaveLength(1);
      expect(check.input.access![0]!.actions!.length).toBeLessThanOrEqual(100);
      expect((check.input.access![0]!.resources ?? []).length).toBeLessThanOrEqual(100);
    }
    expect(new Set(checks.map((c) => c.policy))).toEqual(new Set(['inline policy of the role', 'group policy of the operators', 'bucket policy', 'function policy']));
    expect(checks.filter((c) => c.input.policyType === 'RESOURCE_POLICY').map((c) => c.policy)).toEqual(['bucket policy', 'function policy']);
  });

  it('hold for the templates (so a FAIL from AWS is drift, not a wrong question), and would catch a widened role', () => {
    for (const check of checks) {
      const document = JSON.parse(check.input.policyDocument as string) as PolicyDocument;
      expect(mayGrant(document, check.input.access![0]!.actions!, check.input.access![0]!.resources), `${check.policy}: ${check.says}`).toEqual([]);
    }
    const widened = notGrantedChecks(n, { ...policies, role: [{ name: 'widened', document: { Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: `${n.bucketArn}/*` }] } }] });
    const reads = widened.find((c) => c.says.includes('never reads'))!;
    expect(mayGrant(JSON.parse(reads.input.policyDocument as string) as PolicyDocument, reads.input.access![0]!.actions!, reads.input.access![0]!.resources)).toContain('s3:GetObject');
  });

  it('reads PASS and FAIL with the statement each reason points at, and refuses anything else', () => {
    const check = checks[0]!;
    expect(readPolicyCheck(check, { result: 'PASS', message: 'The policy document does not grant access to perform the listed actions or resources.', reasons: [] })).toMatchObject({ result: 'PASS', reasons: [] });
    expect(
      readPolicyCheck(check, { result: 'FAIL', message: 'The policy document grants access', reasons: [{ description: 'One or more of the listed actions in the statement with index: 2.', statementIndex: 2 }] }).reasons,
    ).toEqual(['One or more of the listed actions in the statement with index: 2. (statement 3)']);
    expect(() => readPolicyCheck(check, { result: 'UNKNOWN' })).toThrow(/answered 'UNKNOWN'/);
  });
});

describe('CheckNoPublicAccess and ValidatePolicy', () => {
  it('asks about each resource policy by its resource type', () => {
    expect(noPublicAccessChecks(policies).map((c) => [c.policy, c.input.resourceType])).toEqual([
      ['bucket policy', 'AWS::S3::Bucket'],
      ['key policy', 'AWS::KMS::Key'],
      ['function policy', 'AWS::Lambda::Function'],
      ['trust policy', 'AWS::IAM::AssumeRolePolicyDocument'],
    ]);
    expect(noPublicAccessChecks({ ...policies, function: null }).map((c) => c.policy)).not.toContain('function policy');
  });

  it('validates all eight templates, each as its policy type', () => {
    const validations = templateValidations(n, { 'execution-role-policy': policies.role[0]!.document, 'execution-role-trust': policies.trust!, 'operators-policy': policies.operator[0]!.document, 'bucket-policy': policies.bucket!, 'kms-key-policy': policies.key! });
    expect(Object.fromEntries(validations.map((v) => [v.template, `${v.input.policyType} ${v.input.validatePolicyResourceType ?? '-'}`]))).toEqual({
      'execution-role-policy': 'IDENTITY_POLICY -',
      'operators-policy': 'IDENTITY_POLICY -',
      'apigateway-logs-policy': 'IDENTITY_POLICY -',
      'deployer-policy': 'IDENTITY_POLICY -',
      'execution-role-trust': 'RESOURCE_POLICY AWS::IAM::AssumeRolePolicyDocument',
      'apigateway-logs-trust': 'RESOURCE_POLICY AWS::IAM::AssumeRolePolicyDocument',
      'bucket-policy': 'RESOURCE_POLICY AWS::S3::Bucket',
      'kms-key-policy': 'RESOURCE_POLICY -',
    });
    // Rendered for the stack: no placeholder left for AWS to trip on.
    for (const v of validations) expect(v.input.policyDocument).not.toMatch(/\$\{/);
  });

  it("reads findings with their place in the document, and refuses a finding type it does not know", () => {
    const answer = readValidation('deployer-policy', [
      {
        findingType: 'SECURITY_WARNING',
        issueCode: 'PASS_ROLE_WITH_STAR_IN_RESOURCE',
        findingDetails: 'Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive.',
        learnMoreLink: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-security-warning-pass-role-with-star-in-resource',
        locations: [{ path: [{ value: 'Statement' }, { index: 0 }, { value: 'Resource' }] }],
      },
    ]);
    expect(answer.findings[0]).toMatchObject({ type: 'SECURITY_WARNING', code: 'PASS_ROLE_WITH_STAR_IN_RESOURCE', path: 'Statement[0].Resource' });
    expect(() => readValidation('deployer-policy', [{ findingType: 'NOTE' }])).toThrow(/type 'NOTE'/);
  });
});

describe('when an engine cannot be asked', () => {
  const error = (name: string, status: number, message = '') => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

  it('tells denied and absent apart from a real failure', () => {
    expect(unavailability(error('AccessDenied', 403))).toBe('denied to these credentials (AccessDenied)');
    expect(unavailability(error('AccessDeniedException', 403))).toBe('denied to these credentials (AccessDeniedException)');
    expect(unavailability(error('UnknownOperationException', 400))).toBe('not offered by this endpoint (UnknownOperationException)');
    expect(unavailability(Object.assign(new SyntaxError('Unexpected token <'), { $metadata: { httpStatusCode: 500 } }))).toBe("not implemented by this endpoint (its answer is not AWS's, HTTP 500)");
    // These are failures: ERROR, never a quiet skip.
    expect(unavailability(error('ThrottlingException', 429))).toBeNull();
    expect(unavailability(error('InternalServerException', 500))).toBeNull();
    expect(unavailability(error('ValidationException', 400))).toBeNull();
  });
});

describe('the controls over the answers', () => {
  const control = (id: string) => awsCheckControls.find((c) => c.id === id)!;
  const snapshot = (aws?: AwsOpinions): AuditSnapshot => emptySnapshot(n, { keyArn, now: new Date('2026-12-02T00:00:00Z'), ...(aws ? { aws } : {}) });
  const answered = { status: 'answered' as const, answers: [] };
  const opinions = (over: Partial<AwsOpinions>): AwsOpinions => ({ simulator: { status: 'answered', answers: { answers: [], beyond: [] } }, notGranted: answered, noPublicAccess: answered, validation: answered, ...over });

  it('PASS on agreement, FAIL naming the request on disagreement', () => {
    const plan = simulationPlan(rows, n, policies);
    const cells = plan.calls.flatMap((c) => c.cells);
    const agree = cells.map((cell) => ({ cell, aws: cell.ours.decision as 'allow' | 'deny', decision: cell.ours.decision === 'allow' ? 'allowed' : 'implicitDeny', matched: [], missingContext: [] }));
    expect(judge(control('aws-simulator-agrees'), snapshot(opinions({ simulator: { status: 'answered', answers: { answers: agree, beyond: plan.beyond } } }))).status).toBe('PASS');
    const flipped = agree.map((a) => (a.cell.row.what === 'reads what it stored' && a.cell.row.principal === 'execution-role' ? { ...a, aws: 'allow' as const, decision: 'allowed', matched: ['inline policy of the role'] } : a));
    const verdict = judge(control('aws-simulator-agrees'), snapshot(opinions({ simulator: { status: 'answered', answers: { answers: flipped, beyond: plan.beyond } } })));
    expect(verdict.status).toBe('FAIL');
    expect(verdict.detail).toMatch(/^execution-role s3:GetObject on \S+ \(reads what it stored\), on the identity policies: AWS allowed by inline policy of the role, bridge deny$/);
  });

  it('SKIP with why when the engine is unavailable, ERROR when it failed', () => {
    const skipped = judge(control('aws-no-public-access'), snapshot(opinions({ noPublicAccess: { status: 'unavailable', reason: 'IAM Access Analyzer CheckNoPublicAccess is denied to these credentials (AccessDeniedException)' } })));
    expect(skipped).toMatchObject({ status: 'SKIP', detail: 'IAM Access Analyzer CheckNoPublicAccess is denied to these credentials (AccessDeniedException)' });
    const failed = judge(control('aws-policy-validation'), snapshot(opinions({ validation: { status: 'failed', reason: 'IAM Access Analyzer ValidatePolicy failed: ThrottlingException: Rate exceeded' } })));
    expect(failed.status).toBe('ERROR');
    expect(failed.detail).toContain('ThrottlingException');
  });

  it('ValidatePolicy: FAIL on an error or security warning; warnings and suggestions alone pass, listed', () => {
    const finding = (type: 'WARNING' | 'SECURITY_WARNING') => ({ template: 'bucket-policy' as const, findings: [{ type, code: 'C', details: 'd', link: '', path: 'Statement[0]' }] });
    expect(judge(control('aws-policy-validation'), snapshot(opinions({ validation: { status: 'answered', answers: [finding('SECURITY_WARNING')] } }))).status).toBe('FAIL');
    const minor = judge(control('aws-policy-validation'), snapshot(opinions({ validation: { status: 'answered', answers: [finding('WARNING')] } })));
    expect(minor).toMatchObject({ status: 'PASS', detail: '1 templates validated, only 1 warnings and suggestions: templates/bucket-policy.json Statement[0] WARNING C: d' });
  });
});
