import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { partitionValues } from '../../src/names.js';
import { TEMPLATES_DIR, loadTemplate, renderPolicy, renderTemplate, type TemplateName } from '../../src/templates.js';

const values = {
  ...partitionValues({ partition: 'aws', account: '111122223333', region: 'eu-west-1' }),
  RoleArn: 'arn:aws:iam::111122223333:role/bridge/s-ingest-role',
  OperatorUserArn: 'arn:aws:iam::111122223333:user/bridge/s-operator',
  BucketArn: 'arn:aws:s3:::s-bucket',
  KeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/k',
  DataPrefix: 'raw/',
  ParameterArn: 'arn:aws:ssm:eu-west-1:111122223333:parameter/s/source/api-key',
  FunctionLogGroupArn: 'arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/s-ingest',
  ApiLogGroupArn: 'arn:aws:logs:eu-west-1:111122223333:log-group:/aws/apigateway/s-api',
  ApiExecutionLogGroupArn: 'arn:aws:logs:eu-west-1:111122223333:log-group:API-Gateway-Execution-Logs_abc123/prod',
  FunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:s-ingest',
  ApiInvokeArn: 'arn:aws:execute-api:eu-west-1:111122223333:abc123/prod/GET/data',
  ApiId: 'abc123',
  DeadLetterQueueArn: 'arn:aws:sqs:eu-west-1:111122223333:s-ingest-dlq',
  ScheduleGroupArn: 'arn:aws:scheduler:eu-west-1:111122223333:schedule-group/s',
};
/** A stack without a schedule: the dead-letter statements' placeholders are null. */
const unscheduled = { ...values, DeadLetterQueueArn: null, SqsViaService: null };

const names: TemplateName[] = ['kms-key-policy', 'bucket-policy', 'execution-role-trust', 'execution-role-policy', 'operators-policy', 'apigateway-logs-trust', 'apigateway-logs-policy', 'scheduler-role-trust', 'scheduler-role-policy'];

describe('policy templates', () => {
  it.each(names)('%s renders with no placeholder left', (name) => {
    expect(JSON.stringify(renderTemplate(name, values))).not.toMatch(/\$\{/);
  });

  it('hard-codes no partition and no DNS suffix: China, GovCloud and the ISO partitions get their own', () => {
    for (const file of readdirSync(TEMPLATES_DIR)) {
      const text = readFileSync(`${TEMPLATES_DIR}/${file}`, 'utf8');
      expect(text, file).not.toMatch(/arn:aws[-:]/);
      expect(text, file).not.toMatch(/amazonaws\.com/);
    }
    const cn = renderTemplate('kms-key-policy', { ...values, ...partitionValues({ partition: 'aws-cn', account: '111122223333', region: 'cn-north-1' }) });
    const text = JSON.stringify(cn);
    expect(text).toContain('arn:aws-cn:iam::111122223333:root');
    expect(text).toContain('s3.cn-north-1.amazonaws.com.cn');
    expect(text).toContain('"logs.cn-north-1.amazonaws.com.cn"');
  });

  it("trusts API Gateway for the account's CloudWatch role as AWS documents it: no aws:SourceAccount condition", () => {
    // API Gateway's set-up-logging guide gives this trust; AWS does not document that API Gateway
    // sends aws:SourceAccount when it assumes the role, so a condition on it could lock it out.
    const trust = renderTemplate('apigateway-logs-trust', values);
    expect(trust.Statement).toEqual([{ Sid: 'ApiGatewayWritesStageLogs', Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
  });

  it('drops the statements whose placeholder is null (a resource that does not exist yet)', () => {
    const withApi = renderTemplate('operators-policy', values);
    const withoutApi = renderTemplate('operators-policy', { ...values, ApiInvokeArn: null });
    expect(withApi.Statement.length - withoutApi.Statement.length).toBe(1);
    expect(JSON.stringify(withoutApi)).not.toContain('execute-api');
  });

  it('refuses an unknown placeholder instead of leaving it in a policy', () => {
    expect(() => renderPolicy({ Statement: [{ Effect: 'Allow', Action: 'x:y', Resource: '${Nope}' }] }, {})).toThrow(/\$\{Nope\} has no value/);
  });

  it('substitutes values as data: a quote cannot break the document', () => {
    const rendered = renderPolicy({ Statement: [{ Effect: 'Allow', Action: 'x:y', Resource: '${A}' }] }, { A: 'a"b' });
    expect(rendered.Statement[0]?.Resource).toBe('a"b');
  });

  it('gives the execution role no wildcard action, no read, no delete, no list', () => {
    const policy = renderTemplate('execution-role-policy', unscheduled);
    const actions = policy.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.sort()).toEqual([
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:PutObject',
      'ssm:GetParameter',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    // X-Ray has no resource-level permissions: its two write actions are the only ones on '*'.
    const unscoped = policy.Statement.filter((s) => s.Resource === '*');
    expect(unscoped.flatMap((s) => s.Action)).toEqual(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']);
    expect(policy.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
  });

  it('with a schedule, lets the execution role send only to the dead-letter queue, and have SQS encrypt there only', () => {
    const scheduled = renderTemplate('execution-role-policy', values).Statement;
    const added = scheduled.filter((st) => !renderTemplate('execution-role-policy', unscheduled).Statement.some((u) => u.Sid === st.Sid));
    expect(added).toEqual([
      { Sid: 'SendFailedScheduledRunsToTheDeadLetterQueue', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: values.DeadLetterQueueArn },
      { Sid: 'EncryptDeadLettersThroughSQS', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: values.KeyArn, Condition: { StringEquals: { 'kms:ViaService': 'sqs.eu-west-1.amazonaws.com' } } },
    ]);
  });

  it("lets the scheduler role invoke the function and reach the dead-letter queue, nothing else; trusted by Scheduler for the stack's group only", () => {
    const policy = renderTemplate('scheduler-role-policy', values);
    expect(policy.Statement.map((st) => [st.Action, st.Resource])).toEqual([
      ['lambda:InvokeFunction', values.FunctionArn],
      ['sqs:SendMessage', values.DeadLetterQueueArn],
      [['kms:GenerateDataKey', 'kms:Decrypt'], values.KeyArn],
    ]);
    // The Scheduler User Guide's confused-deputy page: aws:SourceArn is the schedule group's ARN.
    expect(renderTemplate('scheduler-role-trust', values).Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'scheduler.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': '111122223333', 'aws:SourceArn': values.ScheduleGroupArn } },
      }),
    ]);
  });

  it('trusts only lambda.amazonaws.com, in this account', () => {
    const trust = renderTemplate('execution-role-trust', values);
    expect(trust.Statement).toEqual([
      expect.objectContaining({ Principal: { Service: 'lambda.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } } }),
    ]);
  });

  it('the bucket policy only denies (an Allow in a bucket policy would widen access)', () => {
    expect(loadTemplate('bucket-policy').Statement.every((s) => s.Effect === 'Deny')).toBe(true);
  });
});
