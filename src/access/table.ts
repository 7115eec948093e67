/**
 * Who may do what in a stack, as data: for every principal, the requests that must be allowed
 * and those that must be denied, each with the context AWS would send. The policies deployed are
 * judged against it together (evaluate.ts), as AWS would judge them. Pure.
 */
import { apiArns, servicePrincipal, viaService, type StackNames } from '../names.js';
import type { RequestContext } from './conditions.js';
import type { AccessRequest, RequestPrincipal } from './evaluate.js';

export type PrincipalName =
  | 'execution-role'
  | 'operator'
  | 'api-gateway'
  | 'lambda-service'
  | 'cloudwatch-logs'
  | 'scheduler-role'
  | 'scheduler-service'
  | 'unrelated-user'
  | 'other-account'
  | 'anonymous';

export interface AccessRow {
  principal: PrincipalName;
  /** What the row stands for, for people: "reads the source key's parameter". */
  what: string;
  request: AccessRequest;
  intended: 'allow' | 'deny';
}

/** The facts the table needs beyond the names: the key and the API, once they exist. */
export interface StackFacts {
  keyArn: string;
  apiId: string;
  dataPrefix: string;
  /** With an API key (api-key mode) API Gateway does not ask IAM about execute-api:Invoke. */
  apiAuth?: 'aws-iam' | 'api-key';
  /** The stack runs on a schedule: Scheduler's role, and the dead-letter queue, have rows. */
  scheduled?: boolean;
}

/** A 12-digit account that is not the stack's, for the cross-account rows. */
export const OTHER_ACCOUNT = '999988887777';

export function principals(n: StackNames): Record<PrincipalName, RequestPrincipal> {
  return {
    'execution-role': { kind: 'aws', arn: n.roleArn, account: n.account },
    operator: { kind: 'aws', arn: n.operatorUserArn, account: n.account },
    'api-gateway': { kind: 'service', service: servicePrincipal('apigateway', n.region) },
    'lambda-service': { kind: 'service', service: servicePrincipal('lambda', n.region) },
    'cloudwatch-logs': { kind: 'service', service: servicePrincipal('logs', n.region) },
    'scheduler-role': { kind: 'aws', arn: n.schedulerRoleArn, account: n.account },
    'scheduler-service': { kind: 'service', service: servicePrincipal('scheduler', n.region) },
    'unrelated-user': { kind: 'aws', arn: `arn:${n.partition}:iam::${n.account}:user/alice`, account: n.account },
    'other-account': { kind: 'aws', arn: `arn:${n.partition}:iam::${OTHER_ACCOUNT}:role/Admin`, account: OTHER_ACCOUNT },
    anonymous: { kind: 'anonymous' },
  };
}

export function accessTable(n: StackNames, facts: StackFacts): AccessRow[] {
  const who = principals(n);
  const api = apiArns(n, facts.apiId);
  const object = `${n.bucketArn}/${facts.dataPrefix}2026/12/02/reading.json`;
  const outside = `${n.bucketArn}/elsewhere/reading.json`;
  const otherParameter = `arn:${n.partition}:ssm:${n.region}:${n.account}:parameter/prod/db/password`;
  const otherLogGroup = `arn:${n.partition}:logs:${n.region}:${n.account}:log-group:/aws/lambda/payments`;
  const rows: AccessRow[] = [];
  const tls = (extra: RequestContext = {}): RequestContext => ({ 'aws:securetransport': true, ...extra });
  const principalKeys = (name: PrincipalName): RequestContext => {
    const p = who[name];
    return p.kind === 'aws' ? { 'aws:principalarn': p.arn, 'aws:principalaccount': p.account } : {};
  };
  const add = (principal: PrincipalName, intended: 'allow' | 'deny', what: string, action: string, resource: string, context: RequestContext = {}) =>
    rows.push({ principal, what, intended, request: { principal: who[principal], action, resource, context: { ...principalKeys(principal), ...context } } });

  // What S3 sends with an upload encrypted with the stack key (the handler names key and algorithm).
  const sse = (key = facts.keyArn): RequestContext => ({ 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': key });
  // What KMS sees when S3 uses the key for the bucket (S3 Bucket Keys: the bucket's ARN as context).
  const viaS3 = (bucketArn = n.bucketArn): RequestContext => ({
    'kms:viaservice': viaService('s3', n.region),
    'kms:calleraccount': n.account,
    'kms:encryptioncontext:aws:s3:arn': bucketArn,
  });
  const viaSsm = (parameterArn = n.parameterArn): RequestContext => ({
    'kms:viaservice': viaService('ssm', n.region),
    'kms:calleraccount': n.account,
    'kms:encryptioncontext:parameter_arn': parameterArn,
  });
  const forLogs = (groupArn: string): RequestContext => ({ 'kms:encryptioncontext:aws:logs:arn': groupArn });
  const viaSqs: RequestContext = { 'kms:viaservice': viaService('sqs', n.region), 'kms:calleraccount': n.account };
  const otherQueue = `arn:${n.partition}:sqs:${n.region}:${n.account}:orders`;
  const otherFunction = `arn:${n.partition}:lambda:${n.region}:${n.account}:function:payments`;

  // The execution role: adds data, reads its one secret, writes its own logs; nothing else.
  add('execution-role', 'allow', 'stores a reading under the data prefix, encrypted with the stack key', 's3:PutObject', object, tls(sse()));
  add('execution-role', 'deny', 'writes outside the data prefix', 's3:PutObject', outside, tls(sse()));
  add('execution-role', 'deny', 'writes without TLS', 's3:PutObject', object, { 'aws:securetransport': false, ...sse() });
  add('execution-role', 'deny', 'writes naming another KMS key', 's3:PutObject', object, tls(sse(`arn:${n.partition}:kms:${n.region}:${n.account}:key/other`)));
  add('execution-role', 'deny', 'writes with SSE-S3 instead of the stack key', 's3:PutObject', object, tls({ 's3:x-amz-server-side-encryption': 'AES256' }));
  add('execution-role', 'deny', 'reads what it stored', 's3:GetObject', object, tls());
  add('execution-role', 'deny', 'deletes what it stored', 's3:DeleteObject', object, tls());
  add('execution-role', 'deny', 'deletes a version', 's3:DeleteObjectVersion', object, tls());
  add('execution-role', 'deny', 'lists the bucket', 's3:ListBucket', n.bucketArn, tls());
  add('execution-role', 'deny', "changes an object's ACL", 's3:PutObjectAcl', object, tls());
  add('execution-role', 'allow', 'has S3 make a data key for the bucket', 'kms:GenerateDataKey', facts.keyArn, viaS3());
  add('execution-role', 'deny', 'has S3 make a data key for another bucket', 'kms:GenerateDataKey', facts.keyArn, viaS3(`arn:${n.partition}:s3:::someone-elses-bucket`));
  // With S3 Bucket Keys, S3 may check the bucket's key with Decrypt on the writer's behalf (S3 User
  // Guide, "Replication with S3 Bucket Keys"): allowed for this bucket only; reading stays denied
  // by S3 itself (no s3:GetObject).
  add('execution-role', 'allow', "has S3 check the bucket's key with Decrypt (S3 Bucket Keys)", 'kms:Decrypt', facts.keyArn, viaS3());
  add('execution-role', 'deny', 'has S3 decrypt for another bucket', 'kms:Decrypt', facts.keyArn, viaS3(`arn:${n.partition}:s3:::someone-elses-bucket`));
  add('execution-role', 'allow', "has SSM decrypt the source key's parameter", 'kms:Decrypt', facts.keyArn, viaSsm());
  add('execution-role', 'deny', "has SSM decrypt another parameter's value", 'kms:Decrypt', facts.keyArn, viaSsm(otherParameter));
  add('execution-role', 'deny', 'decrypts with the key directly', 'kms:Decrypt', facts.keyArn, { 'kms:calleraccount': n.account });
  add('execution-role', 'deny', 'encrypts with the key directly', 'kms:Encrypt', facts.keyArn, { 'kms:calleraccount': n.account });
  add('execution-role', 'allow', "reads the source key's parameter", 'ssm:GetParameter', n.parameterArn);
  add('execution-role', 'deny', 'reads another parameter', 'ssm:GetParameter', otherParameter);
  add('execution-role', 'deny', "overwrites the source key's parameter", 'ssm:PutParameter', n.parameterArn);
  add('execution-role', 'allow', 'writes its own log stream', 'logs:PutLogEvents', `${n.functionLogGroupArn}:log-stream:2026/12/02/[$LATEST]abc`);
  add('execution-role', 'allow', 'opens a log stream in its own group', 'logs:CreateLogStream', `${n.functionLogGroupArn}:log-stream:2026/12/02/[$LATEST]abc`);
  add('execution-role', 'deny', "writes another function's logs", 'logs:PutLogEvents', `${otherLogGroup}:log-stream:x`);
  add('execution-role', 'allow', 'sends X-Ray traces', 'xray:PutTraceSegments', '*');
  add('execution-role', 'deny', 'invokes the function', 'lambda:InvokeFunction', n.functionArn);
  add('execution-role', 'deny', 'changes its own code', 'lambda:UpdateFunctionCode', n.functionArn);
  add('execution-role', 'deny', 'widens its own policy', 'iam:PutRolePolicy', n.roleArn);
  add('execution-role', 'deny', 'sends to another queue', 'sqs:SendMessage', otherQueue);
  if (facts.scheduled) {
    // Lambda sends a scheduled run that failed after its retries to the dead-letter queue as the role.
    add('execution-role', 'allow', 'sends a failed scheduled run to the dead-letter queue', 'sqs:SendMessage', n.deadLetterQueueArn);
    add('execution-role', 'allow', 'has SQS encrypt the dead letter with the stack key', 'kms:GenerateDataKey', facts.keyArn, viaSqs);
    add('execution-role', 'deny', 'reads the dead-letter queue', 'sqs:ReceiveMessage', n.deadLetterQueueArn);
  } else {
    add('execution-role', 'deny', 'sends to the dead-letter queue of a schedule the stack has not', 'sqs:SendMessage', n.deadLetterQueueArn);
  }

  // The operators: read the data and the logs, run the function, call the API; change nothing.
  add('operator', 'allow', 'reads a stored reading', 's3:GetObject', object, tls());
  add('operator', 'allow', 'reads an older version', 's3:GetObjectVersion', object, tls());
  add('operator', 'allow', 'lists the bucket', 's3:ListBucket', n.bucketArn, tls());
  add('operator', 'allow', "lists the bucket's versions", 's3:ListBucketVersions', n.bucketArn, tls());
  add('operator', 'deny', 'reads without TLS', 's3:GetObject', object, { 'aws:securetransport': false });
  add('operator', 'deny', 'reads outside the data prefix', 's3:GetObject', outside, tls());
  add('operator', 'deny', 'writes a reading', 's3:PutObject', object, tls(sse()));
  add('operator', 'deny', 'deletes a reading', 's3:DeleteObject', object, tls());
  add('operator', 'deny', "changes the bucket's policy", 's3:PutBucketPolicy', n.bucketArn, tls());
  add('operator', 'allow', 'has S3 decrypt what it reads', 'kms:Decrypt', facts.keyArn, viaS3());
  add('operator', 'deny', 'has S3 decrypt for another bucket', 'kms:Decrypt', facts.keyArn, viaS3(`arn:${n.partition}:s3:::someone-elses-bucket`));
  add('operator', 'deny', 'has SSM decrypt the source key', 'kms:Decrypt', facts.keyArn, viaSsm());
  add('operator', 'deny', 'decrypts with the key directly', 'kms:Decrypt', facts.keyArn, { 'kms:calleraccount': n.account });
  add('operator', 'deny', 'reads the source key', 'ssm:GetParameter', n.parameterArn);
  add('operator', 'allow', 'runs the function', 'lambda:InvokeFunction', n.functionArn);
  add('operator', 'allow', "reads the function's configuration", 'lambda:GetFunctionConfiguration', n.functionArn);
  add('operator', 'deny', "changes the function's code", 'lambda:UpdateFunctionCode', n.functionArn);
  if (facts.apiAuth !== 'api-key') {
    add('operator', 'allow', 'calls GET /data', 'execute-api:Invoke', api.methodArn);
    add('operator', 'deny', 'calls another method of the API', 'execute-api:Invoke', `arn:${n.partition}:execute-api:${n.region}:${n.account}:${facts.apiId}/prod/POST/data`);
  }
  add('operator', 'allow', "reads the function's logs", 'logs:FilterLogEvents', `${n.functionLogGroupArn}:*`);
  add('operator', 'deny', 'writes into the logs', 'logs:PutLogEvents', `${n.functionLogGroupArn}:log-stream:x`);

  // API Gateway: may run the function, only for this method.
  add('api-gateway', 'allow', 'runs the function for GET /data', 'lambda:InvokeFunction', n.functionArn, { 'aws:sourcearn': api.methodArn, 'aws:sourceaccount': n.account });
  add('api-gateway', 'deny', 'runs the function for another API', 'lambda:InvokeFunction', n.functionArn, {
    'aws:sourcearn': `arn:${n.partition}:execute-api:${n.region}:${n.account}:otherapi/prod/GET/data`,
    'aws:sourceaccount': n.account,
  });
  add('api-gateway', 'deny', 'runs the function with no source', 'lambda:InvokeFunction', n.functionArn);

  // Lambda: may assume the role, for this account.
  add('lambda-service', 'allow', 'assumes the execution role for this account', 'sts:AssumeRole', n.roleArn, { 'aws:sourceaccount': n.account });
  add('lambda-service', 'deny', 'assumes it for another account (confused deputy)', 'sts:AssumeRole', n.roleArn, { 'aws:sourceaccount': OTHER_ACCOUNT });

  // CloudWatch Logs: may use the key for the stack's log groups only.
  add('cloudwatch-logs', 'allow', "encrypts the function's logs", 'kms:GenerateDataKey', facts.keyArn, forLogs(n.functionLogGroupArn));
  add('cloudwatch-logs', 'allow', "decrypts the API's access logs", 'kms:Decrypt', facts.keyArn, forLogs(n.apiLogGroupArn));
  add('cloudwatch-logs', 'allow', "encrypts API Gateway's execution logs", 'kms:GenerateDataKey', facts.keyArn, forLogs(api.executionLogGroupArn));
  add('cloudwatch-logs', 'deny', 'encrypts another log group', 'kms:GenerateDataKey', facts.keyArn, forLogs(otherLogGroup));

  if (facts.scheduled) {
    // Scheduler, as the stack's scheduler role: runs this function, records what it could not deliver.
    add('scheduler-role', 'allow', 'runs the function', 'lambda:InvokeFunction', n.functionArn);
    add('scheduler-role', 'deny', 'runs another function', 'lambda:InvokeFunction', otherFunction);
    add('scheduler-role', 'deny', "changes the function's code", 'lambda:UpdateFunctionCode', n.functionArn);
    add('scheduler-role', 'allow', 'delivers an undeliverable run to the dead-letter queue', 'sqs:SendMessage', n.deadLetterQueueArn);
    add('scheduler-role', 'deny', 'sends to another queue', 'sqs:SendMessage', otherQueue);
    add('scheduler-role', 'deny', 'reads the dead-letter queue', 'sqs:ReceiveMessage', n.deadLetterQueueArn);
    add('scheduler-role', 'allow', 'has SQS encrypt the dead letter with the stack key', 'kms:GenerateDataKey', facts.keyArn, viaSqs);
    add('scheduler-role', 'deny', 'decrypts with the key directly', 'kms:Decrypt', facts.keyArn, { 'kms:calleraccount': n.account });
    add('scheduler-role', 'deny', 'reads a reading', 's3:GetObject', object, tls());
    add('scheduler-role', 'deny', 'reads the source key', 'ssm:GetParameter', n.parameterArn);
    add('scheduler-service', 'allow', "assumes the scheduler role for the stack's schedule group", 'sts:AssumeRole', n.schedulerRoleArn, { 'aws:sourceaccount': n.account, 'aws:sourcearn': n.scheduleGroupArn });
    add('scheduler-service', 'deny', "assumes it for another schedule group (confused deputy)", 'sts:AssumeRole', n.schedulerRoleArn, {
      'aws:sourceaccount': n.account,
      'aws:sourcearn': `arn:${n.partition}:scheduler:${n.region}:${n.account}:schedule-group/default`,
    });
    add('scheduler-service', 'deny', 'assumes it for another account (confused deputy)', 'sts:AssumeRole', n.schedulerRoleArn, { 'aws:sourceaccount': OTHER_ACCOUNT, 'aws:sourcearn': n.scheduleGroupArn });
    add('unrelated-user', 'deny', 'assumes the scheduler role', 'sts:AssumeRole', n.schedulerRoleArn);
  }

  // Anyone else in the account, another account, and nobody at all: nothing.
  add('unrelated-user', 'deny', 'reads a reading', 's3:GetObject', object, tls());
  add('unrelated-user', 'deny', 'decrypts through S3', 'kms:Decrypt', facts.keyArn, viaS3());
  add('unrelated-user', 'deny', 'runs the function', 'lambda:InvokeFunction', n.functionArn);
  add('unrelated-user', 'deny', 'assumes the execution role', 'sts:AssumeRole', n.roleArn);
  add('other-account', 'deny', 'reads a reading', 's3:GetObject', object, tls());
  add('other-account', 'deny', 'writes a reading', 's3:PutObject', object, tls(sse()));
  add('other-account', 'deny', 'decrypts with the key', 'kms:Decrypt', facts.keyArn, { 'kms:calleraccount': OTHER_ACCOUNT });
  add('other-account', 'deny', 'runs the function', 'lambda:InvokeFunction', n.functionArn);
  add('other-account', 'deny', 'assumes the execution role', 'sts:AssumeRole', n.roleArn);
  add('anonymous', 'deny', 'reads a reading', 's3:GetObject', object, tls());
  add('anonymous', 'deny', 'writes a reading', 's3:PutObject', object, tls());
  add('anonymous', 'deny', 'lists the bucket', 's3:ListBucket', n.bucketArn, tls());
  add('anonymous', 'deny', 'runs the function', 'lambda:InvokeFunction', n.functionArn);
  return rows;
}
