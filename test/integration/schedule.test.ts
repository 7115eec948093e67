/**
 * Scheduled ingestion on the local AWS (moto implements EventBridge Scheduler and SQS; schedules
 * never fire there): setup makes the schedule, its role, its dead-letter queue and the function's
 * failure destination as intended; a no-change run changes nothing; drift made by hand is found by
 * the audit under the right control and put back by audit --fix; teardown keeps failed runs as
 * data; --schedule none takes the schedule away. What moto does not answer as AWS does (a new role
 * Scheduler cannot assume yet, a grant Lambda does not see yet, a queue name deleted a moment ago)
 * is answered by a loopback proxy in front of it, as AWS documents.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetRoleCommand, GetRolePolicyCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetFunctionEventInvokeConfigCommand, PutFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda';
import { GetScheduleCommand, GetScheduleGroupCommand, ListTagsForResourceCommand, SchedulerClient, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { DeleteQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ListQueueTagsCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { parsePolicy } from '../../src/policy.js';
import { retryTiming } from '../../src/retry.js';
import { SCHEDULE_INPUT } from '../../src/resources/schedule-state.js';
import { awsError, startAwsProxy } from '../support/aws-proxy.js';
import { LOCAL_ACCOUNT, TEST_SOURCE_KEY, localClients, mutatingCalls, resetLocal, runCli, setupArgs, type CliRun } from '../support/helpers.js';

const aws = localClients();
const config = { region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL as string, maxAttempts: 1 };
const scheduler = new SchedulerClient(config);
const sqs = new SQSClient(config);
const cloudwatch = new CloudWatchClient(config);
const stack = 'sched';
const group = stack;
const Name = `${stack}-ingest`;
const role = `${stack}-scheduler-role-us-east-1`;
const queueName = `${stack}-ingest-dlq`;
const queueArn = `arn:aws:sqs:us-east-1:${LOCAL_ACCOUNT}:${queueName}`;
const functionArn = `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:${stack}-ingest`;
const SCHEDULE_CONTROLS = ['schedule-state', 'schedule-role-least-privilege', 'schedule-role-trust', 'schedule-dlq-encrypted', 'schedule-dlq-empty'];

const setup = (extra: string[] = [], name = stack) => runCli(setupArgs(name, ['--verbose', ...extra]), { env: { TEST_SOURCE_KEY } });

interface Report {
  results: { id: string; status: string; detail: string; resource: string }[];
}
async function audit(name = stack): Promise<{ run: CliRun; byId: Map<string, Report['results'][number]> }> {
  const run = await runCli(['audit', '--stack', name, '--json']);
  const report = JSON.parse(run.stdout) as Report;
  return { run, byId: new Map(report.results.map((r) => [r.id, r])) };
}
const queueUrl = async () => (await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl as string;

beforeAll(async () => {
  await resetLocal();
  // With API Gateway's account logging set, every other control passes: an audit's exit code is the schedule's.
  const run = await setup(['--schedule', 'rate(15 minutes)', '--configure-account-logging']);
  expect(run.code, run.stderr).toBe(0);
});

afterAll(() => {
  for (const client of [scheduler, sqs, cloudwatch]) client.destroy();
});

describe("setup --schedule 'rate(15 minutes)'", () => {
  it("makes the schedule in the stack's own group, tagged for the stack with the intended expression", async () => {
    const made = await scheduler.send(new GetScheduleCommand({ GroupName: group, Name }));
    expect(made).toMatchObject({
      ScheduleExpression: 'rate(15 minutes)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: functionArn,
        RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/bridge/${role}`,
        DeadLetterConfig: { Arn: queueArn },
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 3 },
        Input: SCHEDULE_INPUT,
      },
    });
    const groupArn = (await scheduler.send(new GetScheduleGroupCommand({ Name: group }))).Arn as string;
    const tags = (await scheduler.send(new ListTagsForResourceCommand({ ResourceArn: groupArn }))).Tags;
    expect(tags).toEqual(expect.arrayContaining([{ Key: 'bridge:stack', Value: stack }, { Key: 'bridge:schedule', Value: 'rate 15 minutes' }]));
  });

  it("gives the schedule a role trusted by Scheduler for this account and group only, allowed this function and the queue", async () => {
    const found = (await aws.iam.send(new GetRoleCommand({ RoleName: role }))).Role;
    expect(found?.Path).toBe('/bridge/');
    expect(parsePolicy(found?.AssumeRolePolicyDocument as string).Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': LOCAL_ACCOUNT, 'aws:SourceArn': `arn:aws:scheduler:us-east-1:${LOCAL_ACCOUNT}:schedule-group/${group}` } },
      }),
    ]);
    const policy = parsePolicy((await aws.iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: `${stack}-scheduler` }))).PolicyDocument as string);
    expect(policy.Statement.map((s) => s.Resource)).toEqual([functionArn, queueArn, expect.stringMatching(/^arn:aws:kms:us-east-1:\d+:key\//)]);
  });

  it('makes the dead-letter queue with the stack key, 14 days of retention, tagged', async () => {
    const url = await queueUrl();
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    const keyArn = (await aws.kms.send(new (await import('@aws-sdk/client-kms')).DescribeKeyCommand({ KeyId: `alias/${stack}` }))).KeyMetadata?.Arn;
    expect(Attributes).toMatchObject({ KmsMasterKeyId: keyArn, MessageRetentionPeriod: '1209600', KmsDataKeyReusePeriodSeconds: '300' });
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags).toEqual({ 'bridge:stack': stack });
  });

  it("sends the function's failed asynchronous runs (Scheduler invokes it asynchronously) to the queue, after two retries", async () => {
    const config = await aws.lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: `${stack}-ingest` }));
    expect(config).toMatchObject({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600, DestinationConfig: { OnFailure: { Destination: queueArn } } });
  });

  it("lets the execution role send to the queue, as Lambda's failure destination needs", async () => {
    const policy = parsePolicy((await aws.iam.send(new GetRolePolicyCommand({ RoleName: `${stack}-ingest-role-us-east-1`, PolicyName: `${stack}-ingest` }))).PolicyDocument as string);
    expect(policy.Statement).toContainEqual({ Sid: 'SendFailedScheduledRunsToTheDeadLetterQueue', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueArn });
  });

  it('changes nothing on a second run, with no mutating call', async () => {
    const run = await setup();
    expect(run.code, run.stderr).toBe(0);
    expect(mutatingCalls(run)).toEqual([]);
  });

  it('passes the five schedule controls', async () => {
    const { byId } = await audit();
    expect(SCHEDULE_CONTROLS.map((id) => [id, byId.get(id)?.status])).toEqual(SCHEDULE_CONTROLS.map((id) => [id, 'PASS']));
    expect(byId.get('access-as-intended')?.status).toBe('PASS');
    expect(byId.get('stack-no-duplicates')?.status).toBe('PASS');
  });

  it('plans a new expression as one change of the schedule (and its tag)', async () => {
    const run = await runCli(['setup', '--stack', stack, '--dry-run', '--schedule', 'cron(0 6 * * ? *)', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const changes = (JSON.parse(run.stdout) as { changes: { resource: string; action: string; fields: string[] }[] }).changes.filter((c) => c.action !== 'noop');
    expect(changes).toEqual([expect.objectContaining({ resource: 'schedule', action: 'update', fields: ['tags', 'expression'] })]);
  });
});

describe('drift made by hand', () => {
  beforeAll(async () => {
    const live = await scheduler.send(new GetScheduleCommand({ GroupName: group, Name }));
    await scheduler.send(
      new UpdateScheduleCommand({
        Name,
        GroupName: group,
        ScheduleExpression: 'rate(5 minutes)',
        State: 'DISABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: { Arn: live.Target?.Arn, RoleArn: live.Target?.RoleArn },
      }),
    );
    await aws.iam.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: 'console-edit', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:*', Resource: '*' }] }) }));
    await aws.lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: `${stack}-ingest`, MaximumRetryAttempts: 0 }));
    await sqs.send(new DeleteQueueCommand({ QueueUrl: await queueUrl() }));
  });

  it('is found by the audit under the control it breaks, exit 3', async () => {
    const { run, byId } = await audit();
    expect(run.code).toBe(3);
    const state = byId.get('schedule-state');
    expect(state?.status).toBe('FAIL');
    expect(state?.detail).toContain('the schedule is DISABLED: no run happens');
    // The group's tag keeps what setup made: the hand-made expression is drift, not the new intent.
    expect(state?.detail).toContain('runs on rate(5 minutes), intended rate(15 minutes)');
    expect(state?.detail).toContain('undelivered runs go to no dead-letter queue: they are lost');
    expect(state?.detail).toContain("the function's failed runs go to nowhere");
    expect(byId.get('schedule-role-least-privilege')).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('from inline policy console-edit') });
    expect(byId.get('schedule-dlq-encrypted')).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('the dead-letter queue does not exist') });
    expect(byId.get('schedule-dlq-empty')?.status).toBe('SKIP');
    expect(byId.get('iam-no-privilege-escalation')).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('scheduler role: allows lambda:') });
    expect(byId.get('access-as-intended')).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('scheduler-role lambda:InvokeFunction on') });
  });

  it('is put back by audit --fix, but for the deleted queue, which is setup\'s to make again', async () => {
    const fix = await runCli(['audit', '--stack', stack, '--fix', '--yes']);
    expect(fix.code).toBe(2);
    expect(fix.stderr).toMatch(/Dead-letter queue sched-ingest-dlq does not exist in us-east-1: run bridge setup .*; nothing was changed/);
  });

  it('is put back by setup, which waits out the name SQS keeps for a minute after a delete; every schedule control passes', async () => {
    // AWS keeps a deleted queue's name for 60 seconds: SQS answers QueueDeletedRecently until then
    // (the local AWS does not), which setup waits out (retry timing scaled down here).
    const proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL as string);
    retryTiming.scale = 0.02;
    try {
      proxy.rules.push({
        service: 'sqs',
        operation: 'CreateQueue',
        times: 2,
        respond: () => awsError.json(400, 'com.amazonaws.sqs#QueueDeletedRecently', 'You must wait 60 seconds after deleting a queue before you can create another queue with the same name.'),
      });
      proxy.answered.push(0);
      const fixed = await setup(['--endpoint-url', proxy.endpoint]);
      expect(fixed.code, fixed.stderr).toBe(0);
      expect(proxy.answered).toEqual([2]);
      expect(fixed.stderr).toMatch(/waiting for SQS to free the name of the queue deleted in the last minute/);
    } finally {
      retryTiming.scale = 1;
      await proxy.close();
    }
    const { byId } = await audit();
    expect(SCHEDULE_CONTROLS.map((id) => [id, byId.get(id)?.status])).toEqual(SCHEDULE_CONTROLS.map((id) => [id, 'PASS']));
    expect(byId.get('iam-no-privilege-escalation')?.status).toBe('PASS');
    expect((await scheduler.send(new GetScheduleCommand({ GroupName: group, Name }))).ScheduleExpression).toBe('rate(15 minutes)');
  });

  it('short of a deleted queue, is put back by audit --fix alone', async () => {
    await aws.iam.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: 'console-edit', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }] }) }));
    const live = await scheduler.send(new GetScheduleCommand({ GroupName: group, Name }));
    await scheduler.send(new UpdateScheduleCommand({ Name, GroupName: group, ScheduleExpression: live.ScheduleExpression, State: 'DISABLED', FlexibleTimeWindow: { Mode: 'OFF' }, Target: live.Target }));
    const fixed = await runCli(['audit', '--stack', stack, '--fix', '--yes']);
    expect(fixed.code, fixed.stderr).toBe(0);
    const { byId } = await audit();
    expect(SCHEDULE_CONTROLS.map((id) => [id, byId.get(id)?.status])).toEqual(SCHEDULE_CONTROLS.map((id) => [id, 'PASS']));
  });
});

describe('failed runs waiting in the dead-letter queue', () => {
  beforeAll(async () => {
    const url = await queueUrl();
    // What Lambda sends for a run that failed after its retries (its on-failure record).
    const record = { version: '1.0', requestContext: { condition: 'RetriesExhausted', functionArn: `${functionArn}:$LATEST` }, responsePayload: { errorType: 'SourceError', errorMessage: 'source answered HTTP 503' } };
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(record) }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(record) }));
    // SQS publishes the oldest message's age to CloudWatch each minute; the local AWS does not, so the datapoint is put here.
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'AWS/SQS',
        MetricData: [{ MetricName: 'ApproximateAgeOfOldestMessage', Dimensions: [{ Name: 'QueueName', Value: queueName }], Value: 5400, Unit: 'Seconds', Timestamp: new Date(Date.now() - 60_000) }],
      }),
    );
  });

  it('fail schedule-dlq-empty with their count and the oldest one\'s age', async () => {
    const { byId } = await audit();
    expect(byId.get('schedule-dlq-empty')).toMatchObject({ status: 'FAIL', resource: queueArn, detail: '2 failed runs waiting; the oldest waits for 1 h 30 min' });
  });

  it('show in status, with the schedule and its next run', async () => {
    const run = await runCli(['status', '--stack', stack, '--json']);
    const report = JSON.parse(run.stdout) as { schedule: { expression: string; state: string; nextRun: string; failedRunsWaiting: number } };
    expect(report.schedule).toMatchObject({ expression: 'rate(15 minutes)', state: 'ENABLED', failedRunsWaiting: 2 });
    expect(Date.parse(report.schedule.nextRun) - Date.now()).toBeGreaterThan(0);
    expect(Date.parse(report.schedule.nextRun) - Date.now()).toBeLessThanOrEqual(15 * 60_000);
  });

  it('keep the queue through --schedule none, which removes the schedule, its group and role, and the failure destination', async () => {
    const run = await setup(['--schedule', 'none']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`the dead-letter queue ${queueName} keeps 2 failed runs`);
    await expect(scheduler.send(new GetScheduleGroupCommand({ Name: group }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(aws.iam.send(new GetRoleCommand({ RoleName: role }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    await expect(aws.lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: `${stack}-ingest` }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect(await queueUrl()).toContain(queueName);
    const { byId } = await audit();
    expect(byId.get('schedule-state')?.status).toBe('SKIP');
    expect(byId.get('schedule-dlq-empty')?.status).toBe('FAIL');
    const again = await setup();
    expect(mutatingCalls(again)).toEqual([]);
  });

  it('keep the queue through teardown unless --delete-data', async () => {
    const kept = await runCli(['teardown', '--stack', stack, '--yes']);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toMatch(/Dead-letter queue\s+sched-ingest-dlq\s+retained: 2 failed runs waiting \(data: --delete-data removes them\)/);
    expect(await queueUrl()).toContain(queueName);
    const gone = await runCli(['teardown', '--stack', stack, '--yes', '--delete-data']);
    expect(gone.code, gone.stderr).toBe(0);
    await expect(queueUrl()).rejects.toMatchObject({ name: expect.stringMatching(/QueueDoesNotExist|NonExistentQueue/) });
  });
});

describe("AWS's answers while the new role and grant propagate (reproduced in front of the local AWS)", () => {
  it('setup waits them out and converges in one run', async () => {
    const proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL as string);
    retryTiming.scale = 0.02;
    try {
      proxy.rules.push(
        {
          // Terraform's provider retries this message for 2 minutes (internal/service/scheduler/schedule.go).
          service: 'scheduler',
          operation: /CreateSchedule$|POST \/schedules\//,
          times: 2,
          respond: () => awsError.restJson(400, 'ValidationException', 'The execution role you provide must allow AWS EventBridge Scheduler to assume the role.'),
        },
        {
          // Lambda checks the execution role may send to the destination when it is set.
          service: 'lambda',
          operation: /^PUT \/[\d-]+\/functions\/later-ingest\/event-invoke-config$/,
          times: 1,
          respond: () => awsError.restJson(400, 'InvalidParameterValueException', `The function's execution role does not have permissions to call SendMessage on ${queueArn.replace(stack, 'later')}`),
        },
      );
      proxy.answered.push(0, 0);
      const run = await runCli(setupArgs('later', ['--schedule', 'rate(1 hour)', '--endpoint-url', proxy.endpoint]), { env: { TEST_SOURCE_KEY } });
      expect(run.code, run.stderr).toBe(0);
      expect(proxy.answered).toEqual([2, 1]);
      expect(run.stderr).toMatch(/waiting for IAM to let EventBridge Scheduler assume the new role/);
      expect(run.stderr).toMatch(/waiting for IAM to show Lambda the execution role's grant on the dead-letter queue/);
    } finally {
      retryTiming.scale = 1;
      await proxy.close();
    }
    const again = await setup([], 'later');
    expect(mutatingCalls(again)).toEqual([]);
  });
});

describe('a schedule expression Scheduler would refuse', () => {
  it('is refused before any call, naming the forms it takes: exit 2', async () => {
    const run = await runCli(setupArgs('refused', ['--schedule', 'rate(1 minutes)', '--verbose']), { env: { TEST_SOURCE_KEY } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: invalid schedule 'rate\(1 minutes\)': write rate\(1 minute\): the unit is singular for 1; give rate\(N minutes\|hours\|days\)/m);
    expect(run.stderr).not.toMatch(/^aws /m);
  });
});
