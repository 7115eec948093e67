/** A stack's policies as the templates render them, for unit tests that judge them without AWS. */
import type { StackPolicies } from '../../src/access/judge.js';
import { apiArns, partitionValues, stackNames } from '../../src/names.js';
import type { PolicyDocument } from '../../src/policy.js';
import { renderTemplate } from '../../src/templates.js';

export const n = stackNames('weather', '111122223333', 'eu-west-1');
export const keyArn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
export const apiId = 'a1b2c3d4e5';
export const api = apiArns(n, apiId);
export const values = {
  ...partitionValues(n),
  BucketArn: n.bucketArn,
  KeyArn: keyArn,
  DataPrefix: 'raw/',
  ParameterArn: n.parameterArn,
  FunctionLogGroupArn: n.functionLogGroupArn,
  ApiLogGroupArn: n.apiLogGroupArn,
  ApiExecutionLogGroupArn: api.executionLogGroupArn,
  RoleArn: n.roleArn,
  OperatorUserArn: n.operatorUserArn,
  FunctionArn: n.functionArn,
  ApiInvokeArn: api.methodArn,
  ApiId: apiId,
  DeadLetterQueueArn: n.deadLetterQueueArn,
  ScheduleGroupArn: n.scheduleGroupArn,
};
/** What setup's AddPermission leaves as the function's policy. */
export const functionPolicy: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'bridge-api-get-data',
      Effect: 'Allow',
      Principal: { Service: 'apigateway.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Resource: n.functionArn,
      Condition: { ArnLike: { 'AWS:SourceArn': api.methodArn }, StringEquals: { 'AWS:SourceAccount': n.account } },
    },
  ],
};

export function templatePolicies(names: { role: string; operator: string } = { role: 'role policy', operator: 'operators policy' }): StackPolicies {
  return {
    role: [{ name: names.role, document: renderTemplate('execution-role-policy', values) }],
    operator: [{ name: names.operator, document: renderTemplate('operators-policy', values) }],
    bucket: renderTemplate('bucket-policy', values),
    key: renderTemplate('kms-key-policy', values),
    function: functionPolicy,
    trust: renderTemplate('execution-role-trust', values),
    scheduler: [{ name: 'scheduler policy', document: renderTemplate('scheduler-role-policy', values) }],
    schedulerTrust: renderTemplate('scheduler-role-trust', values),
  };
}
