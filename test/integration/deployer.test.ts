/**
 * The deployer policy in templates/deployer-policy.json is all setup, audit and teardown need:
 * they run here as an IAM user holding only that policy, under the local AWS's IAM enforcement
 * (a server of its own, as enforcement is server-wide).
 *
 * The local AWS matches resource ARNs only for S3 (and some IAM calls); every other service's
 * calls it checks against "*", so a statement scoped to one function's ARN would be denied here
 * where AWS allows it. For this run those statements are widened to "*": what is proven here is
 * the action list. That the policy's resource patterns cover every ARN the stack names is checked
 * on its own, with bridge's policy evaluator, in test/unit/deployer-policy.test.ts.
 *
 * The local AWS also names some actions after the API operation where IAM does not: it asks for
 * tagging:GetResources (IAM: tag:GetResources), s3:HeadBucket (IAM: s3:ListBucket),
 * s3:Get/PutPublicAccessBlock (IAM: s3:Get/PutBucketPublicAccessBlock), and apigateway:GetRestApis
 * and the like (IAM: apigateway:GET, POST, PUT, PATCH, DELETE on the resource, which together are
 * every API Gateway action). Each statement gets the local name beside IAM's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { enforceIam, startLocalAws, type LocalAws } from '../../src/local/moto.js';
import type { PolicyDocument } from '../../src/policy.js';
import { partitionValues } from '../../src/names.js';
import { renderTemplate } from '../../src/templates.js';
import { LOCAL_ACCOUNT, TEST_SOURCE_KEY, runCli, setupArgs } from '../support/helpers.js';

const stack = 'deployed';
let local: LocalAws;
const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

const LOCAL_NAMES: Record<string, string[]> = {
  'tag:getresources': ['tagging:GetResources'],
  's3:listbucket': ['s3:HeadBucket'],
  's3:getbucketpublicaccessblock': ['s3:GetPublicAccessBlock'],
  's3:putbucketpublicaccessblock': ['s3:PutPublicAccessBlock'],
  'apigateway:get': ['apigateway:*'],
};

/** What the local AWS can judge: S3 statements as written, the rest on "*"; its action names added. */
function forLocalAws(policy: PolicyDocument): PolicyDocument {
  return {
    ...policy,
    Statement: policy.Statement.map((statement) => {
      const actions = [statement.Action].flat().map(String);
      const withLocal = { ...statement, Action: [...actions, ...actions.flatMap((a) => LOCAL_NAMES[a.toLowerCase()] ?? [])] };
      return actions.every((action) => action.startsWith('s3:')) ? withLocal : { ...withLocal, Resource: '*' };
    }),
  };
}

beforeAll(async () => {
  local = await startLocalAws({ env: { INITIAL_NO_AUTH_ACTION_COUNT: '100000' } });
  const iam = new IAMClient({ region: 'us-east-1', endpoint: local.endpoint });
  const policy = renderTemplate('deployer-policy', partitionValues({ partition: 'aws', account: LOCAL_ACCOUNT, region: 'us-east-1' }));
  await iam.send(new CreateUserCommand({ UserName: 'deployer' }));
  await iam.send(new PutUserPolicyCommand({ UserName: 'deployer', PolicyName: 'bridge-deployer', PolicyDocument: JSON.stringify(forLocalAws(policy)) }));
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'deployer' }))).AccessKey;
  iam.destroy();
  await enforceIam(local.endpoint);
  // The SDK's credential chain reads the environment: from here on, bridge is the deployer.
  process.env.AWS_ACCESS_KEY_ID = key?.AccessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = key?.SecretAccessKey;
});

afterAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = saved.id;
  process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  await local?.stop();
});

const at = () => ['--endpoint-url', local.endpoint];

describe('bridge as a deployer holding only templates/deployer-policy.json', () => {
  it('sets the stack up, account logging included', async () => {
    const run = await runCli([...setupArgs(stack, ['--configure-account-logging']), ...at()], { env: { TEST_SOURCE_KEY } });
    expect(run.code, run.stderr).toBe(0);
  });

  it('converges it again with no change', async () => {
    const run = await runCli([...setupArgs(stack), ...at(), '--json'], { env: { TEST_SOURCE_KEY } });
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { changes: { action: string }[] }).changes.every((c) => c.action === 'noop')).toBe(true);
  });

  it('audits it with every control read (no ERROR for a denied read)', async () => {
    const run = await runCli(['audit', '--stack', stack, ...at(), '--json']);
    const report = JSON.parse(run.stdout) as { summary: { error: number; fail: number }; results: { id: string; status: string; detail: string }[] };
    // Under enforcement the local AWS fails the signature of a ListObjectVersions with a prefix
    // (a known bug of it, not a denial): the one read it cannot answer here.
    const errors = report.results.filter((r) => r.status === 'ERROR' && !/SignatureDoesNotMatch/.test(r.detail));
    expect(errors.map((r) => `${r.id}: ${r.detail}`)).toEqual([]);
    expect(report.summary.fail, JSON.stringify(report.results.filter((r) => r.status === 'FAIL'))).toBe(0);
  });

  it('tears it down, data included', async () => {
    const run = await runCli(['teardown', '--stack', stack, '--delete-data', '--yes', ...at()]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Removed \d+, retained 0/);
  });
});
