/**
 * audit --aws-checks: AWS's own engines as a second opinion. The local AWS implements none of them
 * (IAM SimulateCustomPolicy, IAM Access Analyzer): against it bridge must say so in one line per
 * engine and carry on. AWS's answers are then played by the loopback proxy in the shapes the API
 * references document (SimulateCustomPolicy's XML with Marker paging; Access Analyzer's JSON with
 * nextToken), so the real SDK serializes bridge's questions and parses the answers:
 *  - IAM API Reference, SimulateCustomPolicy (request parameters, EvaluationResults, IsTruncated/Marker)
 *  - IAM Access Analyzer API Reference, CheckAccessNotGranted, CheckNoPublicAccess, ValidatePolicy
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GetGroupPolicyCommand, GetRoleCommand, GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { DescribeKeyCommand, GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { GetPolicyCommand } from '@aws-sdk/client-lambda';
import { GetBucketPolicyCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { contextEntries, simulationPlan, type SimulationPlan } from '../../src/access/simulator.js';
import type { StackPolicies } from '../../src/access/judge.js';
import { accessTable, type AccessRow } from '../../src/access/table.js';
import { stackNames } from '../../src/names.js';
import { parsePolicy } from '../../src/policy.js';
import { awsError, startAwsProxy, type AwsProxy, type ProxyRequest, type ProxyResponse, type ProxyRule } from '../support/aws-proxy.js';
import { LOCAL_ACCOUNT, TEST_SOURCE_KEY, localClients, resetLocal, runCli, setupArgs } from '../support/helpers.js';

const stack = 'opinion';
const n = stackNames(stack, LOCAL_ACCOUNT, 'us-east-1');
const aws = localClients();
let proxy: AwsProxy;
let rows: AccessRow[];
let policies: StackPolicies;
let plan: SimulationPlan;

interface Result {
  id: string;
  status: string;
  detail: string;
}

const AWS_CHECKS = ['aws-simulator-agrees', 'aws-access-not-granted', 'aws-no-public-access', 'aws-policy-validation'];

async function audit(extra: string[] = []) {
  const run = await runCli(['audit', '--stack', stack, '--aws-checks', '--json', '--endpoint-url', proxy.endpoint, ...extra]);
  const report = JSON.parse(run.stdout) as { results: Result[]; summary: { pass: number; fail: number; error: number; skip: number } };
  const byId = new Map(report.results.map((r) => [r.id, r]));
  return { run, report, byId };
}

beforeAll(async () => {
  await resetLocal();
  const up = await runCli([...setupArgs(stack, ['--configure-account-logging']), '--json'], { env: { TEST_SOURCE_KEY } });
  expect(up.code, up.stderr).toBe(0);
  proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL as string);
  // The live documents, read back here with plain clients, to check what bridge sends.
  const text = async (read: Promise<string | undefined>) => parsePolicy((await read) as string);
  const keyArn = (await aws.kms.send(new DescribeKeyCommand({ KeyId: `alias/${stack}` }))).KeyMetadata?.Arn as string;
  policies = {
    role: [{ name: 'role', document: await text(aws.iam.send(new GetRolePolicyCommand({ RoleName: n.roleName, PolicyName: n.rolePolicyName })).then((r) => r.PolicyDocument)) }],
    operator: [{ name: 'group', document: await text(aws.iam.send(new GetGroupPolicyCommand({ GroupName: n.operatorGroup, PolicyName: n.operatorPolicyName })).then((r) => r.PolicyDocument)) }],
    bucket: await text(aws.s3.send(new GetBucketPolicyCommand({ Bucket: n.bucket })).then((r) => r.Policy)),
    key: await text(aws.kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' })).then((r) => r.Policy)),
    function: await text(aws.lambda.send(new GetPolicyCommand({ FunctionName: n.functionName })).then((r) => r.Policy)),
    trust: await text(aws.iam.send(new GetRoleCommand({ RoleName: n.roleName })).then((r) => r.Role?.AssumeRolePolicyDocument)),
  };
  const apiId = (JSON.parse(up.stdout) as { resources: { api: { id: string } } }).resources.api.id;
  rows = accessTable(n, { keyArn, apiId, dataPrefix: 'raw/' });
  plan = simulationPlan(rows, n, policies);
}, 120_000);

afterAll(async () => {
  await proxy?.close();
});

afterEach(() => {
  proxy.rules.length = 0;
  proxy.answered.length = 0;
  proxy.seen.length = 0;
  proxy.requests.length = 0;
});

// ---------------------------------------------------------------- AWS's answers, as documented

const form = (r: ProxyRequest) => new URLSearchParams(r.body);
const members = (params: URLSearchParams, name: string) =>
  [...params.entries()].filter(([k]) => new RegExp(`^${name}\\.member\\.\\d+$`).test(k)).sort(([a], [b]) => Number(a.split('.').pop()) - Number(b.split('.').pop())).map(([, v]) => v);

function simulateXml(results: { action: string; resource: string; decision: string; matched?: string }[], marker?: string): ProxyResponse {
  const member = (r: (typeof results)[number]) =>
    `<member><EvalActionName>${r.action}</EvalActionName><EvalResourceName>${r.resource}</EvalResourceName><EvalDecision>${r.decision}</EvalDecision>` +
    `<MatchedStatements>${r.matched ? `<member><SourcePolicyId>${r.matched}</SourcePolicyId><SourcePolicyType>none</SourcePolicyType></member>` : ''}</MatchedStatements><MissingContextValues/></member>`;
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body:
      `<SimulateCustomPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><SimulateCustomPolicyResult>` +
      `<IsTruncated>${marker ? 'true' : 'false'}</IsTruncated>${marker ? `<Marker>${marker}</Marker>` : ''}<EvaluationResults>${results.map(member).join('')}</EvaluationResults>` +
      `</SimulateCustomPolicyResult><ResponseMetadata><RequestId>proxy</RequestId></ResponseMetadata></SimulateCustomPolicyResponse>`,
  };
}

const json = (body: unknown): ProxyResponse => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** A simulator that answers every action of a call with `decide`, two results a page (so bridge must follow Marker). */
function simulator(decide: (action: string, resource: string, request: ProxyRequest) => string): ProxyRule {
  return {
    service: 'iam',
    operation: 'SimulateCustomPolicy',
    respond: (request) => {
      const params = form(request);
      const resource = members(params, 'ResourceArns')[0] as string;
      const all = members(params, 'ActionNames').map((action) => ({ action, resource, decision: decide(action, resource, request), matched: 'PolicyInputList.1' }));
      const from = Number(params.get('Marker') ?? 0);
      const page = all.slice(from, from + 2);
      return simulateXml(page, from + 2 < all.length ? String(from + 2) : undefined);
    },
  };
}

const analyzer = (path: string, respond: (body: Record<string, unknown>, request: ProxyRequest) => ProxyResponse): ProxyRule => ({
  service: 'access-analyzer',
  operation: `POST ${path}`,
  respond: (request) => respond(JSON.parse(request.body) as Record<string, unknown>, request),
});

const passAll = [
  analyzer('/policy/check-access-not-granted', () => json({ result: 'PASS', message: 'The policy document does not grant access to perform the listed actions or resources.', reasons: [] })),
  analyzer('/policy/check-no-public-access', () => json({ result: 'PASS', message: 'The resource policy does not grant public access for the given resource type.', reasons: [] })),
  analyzer('/policy/validation', () => json({ findings: [] })),
];

// ---------------------------------------------------------------- the tests

describe('audit --aws-checks where AWS engines are absent or denied', () => {
  it('against the local AWS (which has none of them): one line per engine, their controls SKIP, the audit passes', async () => {
    const { run, byId, report } = await audit();
    expect(run.code, run.stderr).toBe(0);
    const notes = run.stderr.split('\n').filter((l) => l.includes('its controls are skipped'));
    expect(notes).toHaveLength(4);
    for (const engine of ['SimulateCustomPolicy', 'CheckAccessNotGranted', 'CheckNoPublicAccess', 'ValidatePolicy']) {
      expect(notes.some((l) => l.includes(engine) && l.includes('not implemented by this endpoint'))).toBe(true);
    }
    for (const id of AWS_CHECKS) expect(byId.get(id)?.status).toBe('SKIP');
    expect(report.summary.fail + report.summary.error).toBe(0);
  });

  it('denied to the credentials: says so and carries on, exit 0', async () => {
    proxy.rules.push(
      { service: 'iam', operation: 'SimulateCustomPolicy', respond: () => awsError.query(403, 'AccessDenied', `User: arn:aws:iam::${LOCAL_ACCOUNT}:user/auditor is not authorized to perform: iam:SimulateCustomPolicy`) },
      { service: 'access-analyzer', operation: /^POST \/policy\//, respond: () => awsError.restJson(403, 'AccessDeniedException', 'You do not have sufficient access to perform this action.') },
    );
    const { run, byId } = await audit();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('IAM SimulateCustomPolicy is denied to these credentials (AccessDenied)');
    expect(run.stderr).toContain('IAM Access Analyzer ValidatePolicy is denied to these credentials (AccessDeniedException)');
    for (const id of AWS_CHECKS) expect(byId.get(id)?.detail).toMatch(/denied to these credentials/);
    // One request per engine found it out: the denied engine was not asked again and again.
    expect(proxy.seen.filter((s) => s === 'iam:SimulateCustomPolicy')).toHaveLength(1);
  });

  it('an engine that fails (throttled past its retries) makes its control ERROR and the audit exit 1', async () => {
    proxy.rules.push(...passAll.slice(0, 2), analyzer('/policy/validation', () => awsError.restJson(429, 'ThrottlingException', 'Rate exceeded')));
    proxy.rules.push(plannedSimulator());
    const { run, byId } = await audit();
    expect(run.code).toBe(1);
    expect(byId.get('aws-policy-validation')?.status).toBe('ERROR');
    expect(byId.get('aws-policy-validation')?.detail).toContain('ThrottlingException');
    // The SDK's three attempts, not setup's eight.
    expect(proxy.seen.filter((s) => s === 'access-analyzer:POST /policy/validation')).toHaveLength(3);
  }, 30_000);
});


/** The simulator's view of one call: its resource and context, as the form carries them. */
function callKey(resource: string, entries: { ContextKeyName?: string; ContextKeyType?: string; ContextKeyValues?: string[] }[]): string {
  return JSON.stringify([resource, entries.map((e) => [e.ContextKeyName, e.ContextKeyType, e.ContextKeyValues])]);
}

function formContext(params: URLSearchParams) {
  const entries: { ContextKeyName?: string; ContextKeyType?: string; ContextKeyValues?: string[] }[] = [];
  for (let i = 1; params.has(`ContextEntries.member.${i}.ContextKeyName`); i++) {
    entries.push({
      ContextKeyName: params.get(`ContextEntries.member.${i}.ContextKeyName`) as string,
      ContextKeyType: params.get(`ContextEntries.member.${i}.ContextKeyType`) as string,
      ContextKeyValues: members(params, `ContextEntries.member.${i}.ContextKeyValues`),
    });
  }
  return entries;
}

/** What a correct simulator answers for each cell of the plan, keyed as the proxy sees the calls. */
function plannedDecisions(): Map<string, string> {
  const out = new Map<string, string>();
  for (const call of plan.calls) {
    for (const cell of call.cells) {
      const word = cell.ours.decision === 'allow' ? 'allowed' : cell.ours.explicit ? 'explicitDeny' : 'implicitDeny';
      out.set(`${cell.row.request.action} ${callKey(cell.row.request.resource, contextEntries(cell.row.request.context))}`, word);
    }
  }
  return out;
}

function plannedDecide() {
  const decisions = plannedDecisions();
  return (action: string, resource: string, request: ProxyRequest) => decisions.get(`${action} ${callKey(resource, formContext(form(request)))}`) ?? 'unknown';
}
const plannedSimulator = () => simulator(plannedDecide());

const simulatedRows = () => rows.filter((r) => r.principal === 'execution-role' || r.principal === 'operator');

const simulations = () => proxy.requests.filter((r) => r.operation === 'SimulateCustomPolicy').map(form);
const analyzerBodies = (path: string) => proxy.requests.filter((r) => r.operation === `POST ${path}`).map((r) => ({ url: r.url, body: JSON.parse(r.body) as Record<string, unknown> }));

describe('audit --aws-checks with AWS answering, in the shapes it documents', () => {
  it("asks the simulator with the live documents and the table's context, never the key or trust policy", async () => {
    proxy.rules.push(simulator(() => 'implicitDeny'), ...passAll);
    const { byId } = await audit();
    const first = simulations().filter((p) => !p.has('Marker'));
    expect(first).toHaveLength(plan.calls.length);
    const role = JSON.stringify(policies.role[0]!.document);
    const group = JSON.stringify(policies.operator[0]!.document);
    const asked = new Set<string>();
    for (const params of first) {
      const documents = members(params, 'PolicyInputList');
      expect([[role], [group]]).toContainEqual(documents);
      const resource = members(params, 'ResourceArns');
      expect(resource).toHaveLength(1);
      for (const action of members(params, 'ActionNames')) asked.add(`${action} ${resource[0]}`);
      // The bucket policy goes only with the operator as the caller: the simulator takes an IAM user there.
      if (params.has('ResourcePolicy')) {
        expect(documents).toEqual([group]);
        expect(params.get('ResourcePolicy')).toBe(JSON.stringify(policies.bucket));
        expect(params.get('CallerArn')).toBe(n.operatorUserArn);
        expect(params.get('ResourceOwner')).toBe(`arn:aws:iam::${LOCAL_ACCOUNT}:root`);
        expect(resource[0]!.startsWith(n.bucketArn)).toBe(true);
      }
      const body = params.toString();
      expect(body).not.toContain(encodeURIComponent('AccountAdministration'));
      expect(body).not.toContain(encodeURIComponent('sts:AssumeRole'));
      // Context keys in IAM's casing, typed: TLS as a boolean.
      const context = formContext(params);
      const tls = context.find((e) => e.ContextKeyName === 'aws:SecureTransport');
      if (tls) expect(tls.ContextKeyType).toBe('boolean');
    }
    expect(asked).toEqual(new Set(simulatedRows().map((r) => `${r.request.action} ${r.request.resource}`)));
    const verdict = byId.get('aws-simulator-agrees');
    expect(verdict?.status).toBe('FAIL');
    // bridge allows the role's upload: an AWS denying it is a disagreement, named with the request.
    expect(verdict?.detail).toMatch(/execution-role s3:PutObject on arn:aws:s3:::\S+\/raw\/2026\/12\/02\/reading\.json \(stores a reading[^)]*\), on the identity policies: AWS implicitDeny by inline policy \S+ of \S+, bridge allow/);
  }, 60_000);

  it('reads every page of the answers, and agrees where AWS decides as bridge does; one cell decided otherwise is named', async () => {
    const decide = plannedDecide();
    proxy.rules.push(simulator(decide), ...passAll);
    const agreed = await audit();
    expect(agreed.byId.get('aws-simulator-agrees')?.status, agreed.byId.get('aws-simulator-agrees')?.detail).toBe('PASS');
    expect(agreed.byId.get('aws-simulator-agrees')?.detail).toContain(`the simulator agrees on ${simulatedRows().length} requests`);
    expect(agreed.run.code, agreed.run.stderr).toBe(0);
    // Two results a page: bridge followed Marker to the end of every call with more than two actions.
    const paged = plan.calls.filter((c) => c.input.ActionNames!.length > 2).length;
    expect(paged).toBeGreaterThan(0);
    expect(simulations().filter((p) => p.has('Marker')).length).toBeGreaterThanOrEqual(paged);

    proxy.rules.length = 0;
    proxy.answered.length = 0;
    const object = rows.find((r) => r.principal === 'execution-role' && r.request.action === 's3:GetObject')!.request.resource;
    proxy.rules.push(simulator((action, resource, request) => (action === 's3:GetObject' && resource === object && !form(request).has('ResourcePolicy') ? 'allowed' : decide(action, resource, request))), ...passAll);
    const differed = await audit();
    expect(differed.run.code).toBe(3);
    const detail = differed.byId.get('aws-simulator-agrees')?.detail ?? '';
    expect(detail).toMatch(/^execution-role s3:GetObject on \S+ \(reads what it stored\), on the identity policies: AWS allowed by inline policy [^,]+, bridge deny$/);
  }, 60_000);

  it("proves the never rows with CheckAccessNotGranted and finds public access with CheckNoPublicAccess; --fix puts the bucket policy back", async () => {
    // AWS's stand-in: a resource policy with an Allow for everyone grants the access (as AWS says for one).
    const publicStatement = (document: string) => (parsePolicy(document).Statement.find((st) => st.Effect === 'Allow' && st.Principal === '*')?.Sid ?? null);
    proxy.rules.push(
      simulator(() => 'implicitDeny'),
      analyzer('/policy/check-access-not-granted', (body) => {
        const sid = body.policyType === 'RESOURCE_POLICY' ? publicStatement(body.policyDocument as string) : null;
        return sid
          ? json({ result: 'FAIL', message: 'The policy document grants access to perform one or more of the listed actions or resources.', reasons: [{ description: 'One or more of the listed actions or resources in the statement with sid: PublicRead.', statementId: sid, statementIndex: 3 }] })
          : json({ result: 'PASS', message: 'The policy document does not grant access to perform the listed actions or resources.', reasons: [] });
      }),
      analyzer('/policy/check-no-public-access', (body) => {
        const sid = publicStatement(body.policyDocument as string);
        return sid
          ? json({ result: 'FAIL', message: 'The resource policy grants public access for the given resource type.', reasons: [{ description: 'Public access granted in the following statement with sid: PublicRead.', statementId: sid, statementIndex: 3 }] })
          : json({ result: 'PASS', message: 'The resource policy does not grant public access for the given resource type.', reasons: [] });
      }),
      passAll[2]!,
    );
    const clean = await audit();
    expect(clean.byId.get('aws-access-not-granted')?.status).toBe('PASS');
    expect(clean.byId.get('aws-access-not-granted')?.detail).toContain('the execution role never reads, lists or deletes the data');
    expect(clean.byId.get('aws-no-public-access')?.detail).toBe('no public access in bucket policy, key policy, function policy, trust policy');
    // What was asked: one access entry each (AWS allows at most one), at most 100 actions and
    // resources; identity checks on the live role and group documents; each resource policy by its type.
    const notGranted = analyzerBodies('/policy/check-access-not-granted');
    for (const { body } of notGranted) {
      const access = body.access as { actions?: string[]; resources?: string[] }[];
      expect(access).toHaveLength(1);
      expect(access[0]!.actions!.length).toBeLessThanOrEqual(100);
      expect((access[0]!.resources ?? []).length).toBeLessThanOrEqual(100);
    }
    const identityDocs = notGranted.filter((c) => c.body.policyType === 'IDENTITY_POLICY').map((c) => c.body.policyDocument);
    expect(new Set(identityDocs)).toEqual(new Set([JSON.stringify(policies.role[0]!.document), JSON.stringify(policies.operator[0]!.document)]));
    expect(analyzerBodies('/policy/check-no-public-access').map((c) => c.body.resourceType).sort()).toEqual(['AWS::IAM::AssumeRolePolicyDocument', 'AWS::KMS::Key', 'AWS::Lambda::Function', 'AWS::S3::Bucket']);

    // A console user opens the bucket to the world.
    const widened = { ...policies.bucket!, Statement: [...policies.bucket!.Statement, { Sid: 'PublicRead', Effect: 'Allow' as const, Principal: '*', Action: 's3:GetObject', Resource: `${n.bucketArn}/*` }] };
    await aws.s3.send(new PutBucketPolicyCommand({ Bucket: n.bucket, Policy: JSON.stringify(widened) }));
    const open = await audit();
    expect(open.run.code).toBe(3);
    expect(open.byId.get('aws-access-not-granted')?.detail).toContain('bucket policy may grant what it must not (the bucket policy grants nothing (access comes from the stack identity policies alone)): One or more of the listed actions or resources in the statement with sid: PublicRead. (statement PublicRead)');
    expect(open.byId.get('aws-no-public-access')?.status).toBe('FAIL');
    expect(open.byId.get('aws-no-public-access')?.detail).toMatch(/^bucket policy grants public access: Public access granted/);

    const fixed = await audit(['--fix', '--yes']);
    expect(fixed.byId.get('aws-access-not-granted')?.status).toBe('PASS');
    expect(fixed.byId.get('aws-no-public-access')?.status).toBe('PASS');
    expect(parsePolicy((await aws.s3.send(new GetBucketPolicyCommand({ Bucket: n.bucket }))).Policy as string)).toEqual(policies.bucket);
  }, 90_000);

  it('validates every template by its policy type, reads every page of findings, and fails on a security warning', async () => {
    proxy.rules.push(
      simulator(() => 'implicitDeny'),
      ...passAll.slice(0, 2),
      analyzer('/policy/validation', (body, request) => {
        if (body.validatePolicyResourceType !== 'AWS::IAM::AssumeRolePolicyDocument' || !String(body.policyDocument).includes('lambda')) return json({ findings: [] });
        const suggestion = { findingType: 'SUGGESTION', issueCode: 'EMPTY_OBJECT_CONDITION', findingDetails: 'An empty object in a condition has no effect.', learnMoreLink: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html', locations: [{ path: [{ value: 'Statement' }, { index: 0 }, { value: 'Condition' }], span: { start: { line: 1, column: 1, offset: 1 }, end: { line: 1, column: 2, offset: 2 } } }] };
        const warning = { findingType: 'SECURITY_WARNING', issueCode: 'MISSING_SOURCE_ACCOUNT', findingDetails: 'Add aws:SourceAccount to restrict the service principal to this account.', learnMoreLink: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html', locations: [{ path: [{ value: 'Statement' }, { index: 0 }, { value: 'Principal' }], span: { start: { line: 1, column: 1, offset: 1 }, end: { line: 1, column: 2, offset: 2 } } }] };
        return request.url.includes('nextToken=page2') ? json({ findings: [warning] }) : json({ findings: [suggestion], nextToken: 'page2' });
      }),
    );
    const { run, byId } = await audit();
    expect(run.code).toBe(3);
    const sent = analyzerBodies('/policy/validation').filter((c) => !c.url.includes('nextToken'));
    const kinds = new Map(sent.map((c) => [String(c.body.policyDocument), `${c.body.policyType} ${c.body.validatePolicyResourceType ?? '-'}`]));
    expect(sent).toHaveLength(8);
    const bucketPolicy = [...kinds.keys()].find((doc) => parsePolicy(doc).Statement.some((st) => st.Sid === 'DenyUploadsNamingAnotherKmsKey'));
    expect(kinds.get(bucketPolicy as string)).toBe('RESOURCE_POLICY AWS::S3::Bucket');
    expect([...kinds.values()].filter((k) => k === 'RESOURCE_POLICY AWS::IAM::AssumeRolePolicyDocument')).toHaveLength(2);
    expect([...kinds.values()].filter((k) => k.startsWith('IDENTITY_POLICY'))).toHaveLength(4);
    const verdict = byId.get('aws-policy-validation');
    expect(verdict?.status).toBe('FAIL');
    expect(verdict?.detail).toBe(
      'templates/execution-role-trust.json Statement[0].Principal SECURITY_WARNING MISSING_SOURCE_ACCOUNT: Add aws:SourceAccount to restrict the service principal to this account. (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html)',
    );
  }, 60_000);
});
