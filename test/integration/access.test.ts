/**
 * The access table (src/access/table.ts) judged against the policies a fresh stack holds, read
 * back from the local AWS (not from the templates), all together as AWS evaluates them. The local
 * AWS evaluates none of these documents itself; bridge's evaluator does (src/access/evaluate.ts).
 *
 * It found what judging one document at a time could not: the key policy let the execution role
 * use the key through S3 and SSM for any bucket and any parameter (a key-policy statement naming a
 * principal of the account allows on its own, so the role's narrower IAM conditions did not count).
 * The key policy is now scoped per service and encryption context; every row must hold.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { GetGroupPolicyCommand, GetRoleCommand, GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { DescribeKeyCommand, GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { GetPolicyCommand } from '@aws-sdk/client-lambda';
import { GetBucketPolicyCommand } from '@aws-sdk/client-s3';
import { judgeAccess, type Judged, type StackPolicies } from '../../src/access/judge.js';
import { accessTable, type AccessRow } from '../../src/access/table.js';
import { stackNames } from '../../src/names.js';
import { parsePolicy } from '../../src/policy.js';
import { LOCAL_ACCOUNT, TEST_SOURCE_KEY, localClients, resetLocal, runCli, setupArgs } from '../support/helpers.js';

const stack = 'accesscheck';
const aws = localClients();
const n = stackNames(stack, LOCAL_ACCOUNT, 'us-east-1');
let rows: AccessRow[];
let judged: Judged[];


beforeAll(async () => {
  await resetLocal();
  const run = await runCli([...setupArgs(stack), '--json'], { env: { TEST_SOURCE_KEY } });
  expect(run.code, run.stderr).toBe(0);
  const apiId = (JSON.parse(run.stdout) as { resources: { api: { id: string } } }).resources.api.id;
  const keyArn = (await aws.kms.send(new DescribeKeyCommand({ KeyId: `alias/${stack}` }))).KeyMetadata?.Arn as string;
  const text = async (read: Promise<string | undefined>) => parsePolicy((await read) as string);
  const policies: StackPolicies = {
    role: [{ name: `inline policy ${n.rolePolicyName} of ${n.roleName}`, document: await text(aws.iam.send(new GetRolePolicyCommand({ RoleName: n.roleName, PolicyName: n.rolePolicyName })).then((r) => r.PolicyDocument)) }],
    operator: [
      {
        name: `group policy ${n.operatorPolicyName} of ${n.operatorGroup}`,
        document: await text(aws.iam.send(new GetGroupPolicyCommand({ GroupName: n.operatorGroup, PolicyName: n.operatorPolicyName })).then((r) => r.PolicyDocument)),
      },
    ],
    bucket: await text(aws.s3.send(new GetBucketPolicyCommand({ Bucket: n.bucket })).then((r) => r.Policy)),
    key: await text(aws.kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' })).then((r) => r.Policy)),
    function: await text(aws.lambda.send(new GetPolicyCommand({ FunctionName: n.functionName })).then((r) => r.Policy)),
    trust: await text(aws.iam.send(new GetRoleCommand({ RoleName: n.roleName })).then((r) => r.Role?.AssumeRolePolicyDocument)),
  };
  rows = accessTable(n, { keyArn, apiId, dataPrefix: 'raw/' });
  judged = judgeAccess(rows, n, policies);
});

const label = (j: Judged) => `${j.row.principal}: ${j.row.what}`;

describe('who may do what, evaluated over every policy of a fresh stack together', () => {
  it('covers at least 60 requests of 8 principals, each with an intended verdict, allows and denies both', () => {
    expect(rows.length).toBeGreaterThanOrEqual(60);
    expect(new Set(rows.map((r) => r.principal)).size).toBe(8);
    expect(rows.filter((r) => r.intended === 'allow').length).toBeGreaterThan(10);
    expect(new Set(rows.map((r) => `${r.principal}: ${r.what}`)).size).toBe(rows.length);
  });

  it('judges every request (no "cannot judge")', () => {
    expect(judged.filter((j) => j.verdict.decision === 'cannot-judge').map((j) => `${label(j)}: ${j.verdict.reason}`)).toEqual([]);
  });

  it('every request evaluates as intended', () => {
    const wrong = judged.filter((j) => !j.holds).map((j) => `${label(j)} (${j.verdict.decision}, intended ${j.row.intended}; ${j.verdict.reason})`);
    expect(wrong).toEqual([]);
  });

  it("the role's key use through SSM is decided by the key policy's statement for that parameter alone", () => {
    const other = judged.find((j) => label(j) === "execution-role: has SSM decrypt another parameter's value");
    expect(other?.verdict).toMatchObject({ decision: 'deny', explicit: false });
    const own = judged.find((j) => label(j) === "execution-role: has SSM decrypt the source key's parameter");
    expect(own?.verdict.by[0]).toMatchObject({ policy: 'key policy', sid: 'ExecutionRoleDecryptsOnlyTheSourceKeyThroughSSM' });
  });
});

describe('bridge audit --explain PRINCIPAL ACTION RESOURCE', () => {
  it('shows the request, its context, the decision and the statement that decided, and says it is as intended', async () => {
    const object = `${n.bucketArn}/raw/2026/12/02/reading.json`;
    const run = await runCli(['audit', '--stack', stack, '--explain', 'operator', 's3:GetObject', object]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`request   ${n.operatorUserArn} s3:GetObject on ${object}`);
    expect(run.stdout).toMatch(/^context {3}.*aws:securetransport=true/m);
    expect(run.stdout).toMatch(/^decision {2}allow: allowed by inline policy accesscheck-operators of accesscheck-operators-us-east-1 ReadIngestedData$/m);
    expect(run.stdout).toMatch(/^as intended$/m);
  });

  it("judges the table's row for the request, with its context, and says when nothing allows a request", async () => {
    const keyArn = (await aws.kms.send(new DescribeKeyCommand({ KeyId: `alias/${stack}` }))).KeyMetadata?.Arn as string;
    const denied = await runCli(['audit', '--stack', stack, '--explain', 'execution-role', 'kms:Decrypt', keyArn, '--json']);
    const explanation = JSON.parse(denied.stdout) as { verdict: { decision: string; explicit: boolean }; row: { what: string } };
    // Two rows have this action and key (S3 for the bucket: allowed; directly: denied): the first is judged.
    expect(explanation.row.what).toBe("has S3 check the bucket's key with Decrypt (S3 Bucket Keys)");
    expect(explanation.verdict.decision).toBe('allow');
    const other = await runCli(['audit', '--stack', stack, '--explain', 'anonymous', 's3:GetObject', `${n.bucketArn}/raw/2026/12/02/reading.json`]);
    expect(other.code).toBe(0);
    expect(other.stdout).toMatch(/^decision {2}deny \(implicit\): implicitly denied/m);
  });

  it('refuses a principal it does not know, naming those it does (exit 2)', async () => {
    const run = await runCli(['audit', '--stack', stack, '--explain', 'root', 's3:GetObject', n.bucketArn]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown principal 'root': use one of execution-role, operator, api-gateway/);
  });
});
