/**
 * One tagging-API answer a run (resources/tag-search.ts): setup and audit take each resource's
 * ownership tags from it instead of one tag read per resource; a resource it does not list is
 * asked directly; teardown, which deletes, always asks each resource itself, since the tagging
 * API's index lags behind tag changes on AWS. The lag cannot be made on moto (its index is the
 * resources themselves), so a loopback proxy answers GetResources with a stale entry.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AddTagsToResourceCommand, GetParameterCommand, RemoveTagsFromResourceCommand } from '@aws-sdk/client-ssm';
import { CreateLogGroupCommand, DescribeLogGroupsCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { isMutatingCommand } from '../../src/aws.js';
import { startAwsProxy, awsError } from '../support/aws-proxy.js';
import { LOCAL_ACCOUNT, TEST_SOURCE_KEY, localClients, mutatingCalls, resetLocal, runCli, setupArgs } from '../support/helpers.js';

const aws = localClients();
const env = { TEST_SOURCE_KEY };
const stack = 'indexed';
const TAG_READS = /^aws (kms ListResourceTags|s3 GetBucketTagging|ssm ListTagsForResource|logs ListTagsForResource)$/gm;

const reads = (stderr: string) => [...stderr.matchAll(/^aws (\w+) (\w+)(?: \(stack lock\))?$/gm)].filter((m) => !isMutatingCommand(m[2] as string));

/** AWS's index lagging behind a tag removal: the parameter still listed with the stack tag. */
function staleIndexProxy(parameterName: string) {
  const parameterArn = `arn:aws:ssm:us-east-1:${LOCAL_ACCOUNT}:parameter${parameterName}`;
  return startAwsProxy(process.env.AWS_ENDPOINT_URL as string, [
    {
      service: 'tagging',
      operation: 'GetResources',
      respond: async (_request, forward) => {
        const answer = await forward();
        const body = JSON.parse(answer.body) as { ResourceTagMappingList: { ResourceARN: string; Tags: { Key: string; Value: string }[] }[] };
        if (!body.ResourceTagMappingList.some((m) => m.ResourceARN === parameterArn)) body.ResourceTagMappingList.push({ ResourceARN: parameterArn, Tags: [{ Key: 'bridge:stack', Value: stack }] });
        return { ...answer, body: JSON.stringify(body) };
      },
    },
  ]);
}

beforeAll(async () => {
  await resetLocal();
  const run = await runCli(setupArgs(stack), { env });
  expect(run.code, run.stderr).toBe(0);
}, 120_000);

describe('the tag index', () => {
  it('serves every ownership check of a no-change setup from one tagging-API call: 39 reads, none of them a tag read', async () => {
    const run = await runCli(['setup', '--stack', stack, '--verbose'], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(mutatingCalls(run)).toEqual([]);
    expect(run.stderr.match(/^aws tagging GetResources$/gm)).toHaveLength(1);
    expect(run.stderr.match(TAG_READS)).toBeNull();
    // The three log groups in one DescribeLogGroups (by name), the concurrency inside GetFunction.
    expect(run.stderr.match(/^aws logs DescribeLogGroups$/gm)).toHaveLength(1);
    expect(run.stderr).not.toMatch(/GetFunctionConcurrency/);
    // The stage names its deployment's definition: no GetDeployment.
    expect(run.stderr).not.toMatch(/GetDeployment/);
    // 36 before the schedule; its parts cost a stack without one a look each (the group, the queue, the
    // scheduler role, the function's failure destination), one of which replaced an earlier read.
    expect(reads(run.stderr).length).toBeLessThanOrEqual(39);
  });

  it('reads each resource\'s tags itself where the tagging API refuses, and still finds nothing to change', async () => {
    const proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL as string, [
      {
        service: 'tagging',
        operation: 'GetResources',
        respond: () => awsError.json(400, 'AccessDeniedException', `User: arn:aws:iam::${LOCAL_ACCOUNT}:user/deployer is not authorized to perform: tag:GetResources`),
      },
    ]);
    try {
      const run = await runCli(['setup', '--stack', stack, '--verbose', '--endpoint-url', proxy.endpoint], { env });
      expect(run.code, run.stderr).toBe(0);
      expect(mutatingCalls(run)).toEqual([]);
      expect(new Set([...run.stderr.matchAll(TAG_READS)].map((m) => m[1]))).toEqual(
        new Set(['kms ListResourceTags', 's3 GetBucketTagging', 'ssm ListTagsForResource', 'logs ListTagsForResource']),
      );
    } finally {
      await proxy.close();
    }
  });

  it("makes setup read directly, before any change, each tag the index vouched for: a tag removed by hand and still listed stops the run", async () => {
    const Name = `/${stack}/source/api-key`;
    const logGroupName = `/aws/lambda/${stack}-ingest`;
    await aws.ssm.send(new RemoveTagsFromResourceCommand({ ResourceType: 'Parameter', ResourceId: Name, TagKeys: ['bridge:stack'] }));
    // Drift for setup to repair, so that it has a change to make.
    await aws.logs.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays: 7 }));
    const proxy = await staleIndexProxy(Name);
    try {
      const run = await runCli(['setup', '--stack', stack, '--verbose', '--endpoint-url', proxy.endpoint], { env });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`SSM parameter '${Name}' exists but is not tagged bridge:stack for this stack`);
      expect(mutatingCalls(run)).not.toContain('logs:PutRetentionPolicy');
      expect((await aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: logGroupName }))).logGroups?.[0]?.retentionInDays).toBe(7);
    } finally {
      await proxy.close();
      await aws.ssm.send(new AddTagsToResourceCommand({ ResourceType: 'Parameter', ResourceId: Name, Tags: [{ Key: 'bridge:stack', Value: stack }] }));
    }
    // With the tag back, the same drift is repaired.
    const repaired = await runCli(['setup', '--stack', stack, '--verbose'], { env });
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(mutatingCalls(repaired)).toContain('logs:PutRetentionPolicy');
  });

  it('never lets teardown take a resource on the index\'s word: a tag removed by hand, still listed, keeps the parameter', async () => {
    const Name = `/${stack}/source/api-key`;
    await aws.ssm.send(new RemoveTagsFromResourceCommand({ ResourceType: 'Parameter', ResourceId: Name, TagKeys: ['bridge:stack'] }));
    const proxy = await staleIndexProxy(Name);
    try {
      const run = await runCli(['teardown', '--stack', stack, '--yes', '--verbose', '--endpoint-url', proxy.endpoint], { env });
      expect(mutatingCalls(run)).not.toContain('ssm:DeleteParameter');
      expect(`${run.stdout}${run.stderr}`).toContain(Name);
      expect((await aws.ssm.send(new GetParameterCommand({ Name }))).Parameter?.Name).toBe(Name);
    } finally {
      await proxy.close();
    }
  });
});

describe('the local AWS launcher', () => {
  it('answers DescribeLogGroups by logGroupIdentifiers with only the groups named (moto alone answers all), and refuses a prefix beside them, as AWS does', async () => {
    await aws.logs.send(new CreateLogGroupCommand({ logGroupName: '/identifiers/one' }));
    await aws.logs.send(new CreateLogGroupCommand({ logGroupName: '/identifiers/two' }));
    const named = await aws.logs.send(new DescribeLogGroupsCommand({ logGroupIdentifiers: ['/identifiers/two', '/identifiers/none'] }));
    expect(named.logGroups?.map((g) => g.logGroupName)).toEqual(['/identifiers/two']);
    await expect(aws.logs.send(new DescribeLogGroupsCommand({ logGroupIdentifiers: ['/identifiers/one'], logGroupNamePrefix: '/identifiers' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
  });
});
