/**
 * templates/deployer-policy.json, read as IAM reads it: every action in it exists in the IAM
 * action list, and its resource patterns cover every ARN a stack of any name, in any region and
 * partition, is made of (the local AWS cannot check resource scoping outside S3; see
 * test/integration/deployer.test.ts for the action list proven under enforcement).
 */
import { describe, expect, it } from 'vitest';
import { loadActionCatalogue } from '../../src/audit/snapshot.js';
import { globMatches } from '../../src/audit/permissions.js';
import { apiArns, partitionValues, stackNames } from '../../src/names.js';
import { renderTemplate } from '../../src/templates.js';

function policyFor(region: string, account: string) {
  const n = stackNames('weather', account, region);
  return { n, policy: renderTemplate('deployer-policy', partitionValues(n)) };
}

function allows(policy: ReturnType<typeof policyFor>['policy'], action: string, resource: string): boolean {
  return policy.Statement.some(
    (s) => s.Effect === 'Allow' && [s.Action].flat().some((a) => globMatches(String(a), action)) && [s.Resource].flat().some((r) => globMatches(String(r), resource)),
  );
}

describe('the deployer policy', () => {
  it('names only actions IAM has, as IAM spells them', async () => {
    const { policy } = policyFor('eu-west-1', '111122223333');
    const actions = policy.Statement.flatMap((s) => [s.Action].flat().map(String));
    const services = new Set(actions.map((a) => a.split(':')[0] as string));
    const catalogue = await loadActionCatalogue(services, false);
    const unknown = actions.filter((a) => {
      const [service, name] = a.split(':') as [string, string];
      return !(catalogue.get(service) ?? []).includes(name);
    });
    expect(unknown).toEqual([]);
  });

  it.each([
    ['eu-west-1', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
  ])('covers every ARN of a stack in %s (%s)', (region) => {
    const { n, policy } = policyFor(region, '111122223333');
    const api = apiArns(n, 'a1b2c3d4e5');
    const needed: [string, string][] = [
      ['kms:PutKeyPolicy', `arn:${n.partition}:kms:${region}:${n.account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`],
      ['kms:CreateAlias', `arn:${n.partition}:kms:${region}:${n.account}:${n.keyAlias}`],
      ['s3:PutEncryptionConfiguration', n.bucketArn],
      ['s3:DeleteObjectVersion', `${n.bucketArn}/raw/2026/12/02/x.json`],
      ['iam:PutRolePolicy', n.roleArn],
      ['iam:CreateUser', n.operatorUserArn],
      ['iam:PutGroupPolicy', n.operatorGroupArn],
      ['iam:PassRole', n.roleArn],
      ['ssm:PutParameter', n.parameterArn],
      ['lambda:CreateFunction', n.functionArn],
      ['lambda:ListTags', n.functionArn],
      ['logs:CreateLogGroup', n.functionLogGroupArn],
      ['logs:CreateLogGroup', n.apiLogGroupArn],
      ['logs:CreateLogGroup', api.executionLogGroupArn],
      ['apigateway:POST', `arn:${n.partition}:apigateway:${region}::/restapis`],
      ['apigateway:PATCH', api.stageArn],
      ['apigateway:PATCH', `arn:${n.partition}:apigateway:${region}::/account`],
      ['scheduler:CreateScheduleGroup', n.scheduleGroupArn],
      ['scheduler:TagResource', n.scheduleGroupArn],
      ['scheduler:UpdateSchedule', n.scheduleArn],
      ['sqs:CreateQueue', n.deadLetterQueueArn],
      ['sqs:SetQueueAttributes', n.deadLetterQueueArn],
      ['iam:PassRole', n.schedulerRoleArn],
      ['lambda:PutFunctionEventInvokeConfig', n.functionArn],
    ];
    expect(needed.filter(([action, resource]) => !allows(policy, action, resource))).toEqual([]);
  });

  it('does not reach beyond the stack: other roles, other functions, other parameters', () => {
    const { n, policy } = policyFor('eu-west-1', '111122223333');
    expect(allows(policy, 'iam:PutRolePolicy', `arn:aws:iam::${n.account}:role/Admin`)).toBe(false);
    expect(allows(policy, 'iam:PassRole', `arn:aws:iam::${n.account}:role/OrganizationAccountAccessRole`)).toBe(false);
    expect(allows(policy, 'lambda:UpdateFunctionCode', `arn:aws:lambda:eu-west-1:${n.account}:function:payments`)).toBe(false);
    expect(allows(policy, 'ssm:GetParameter', `arn:aws:ssm:eu-west-1:${n.account}:parameter/prod/db/password`)).toBe(false);
    expect(allows(policy, 'iam:CreateAccessKey', `arn:aws:iam::${n.account}:user/alice`)).toBe(false);
    expect(allows(policy, 's3:DeleteObject', 'arn:aws:s3:::company-backups/db.dump')).toBe(false);
    expect(allows(policy, 'sqs:DeleteQueue', `arn:aws:sqs:eu-west-1:${n.account}:orders`)).toBe(false);
    expect(allows(policy, 'scheduler:DeleteSchedule', `arn:aws:scheduler:eu-west-1:${n.account}:schedule/default/nightly-backup`)).toBe(false);
  });
});
