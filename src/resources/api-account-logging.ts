/**
 * API Gateway's account-wide CloudWatch role: without it a stage can write neither access nor
 * execution logs. It is account-wide, so bridge changes it only with --configure-account-logging;
 * otherwise it says once that logging waits for it. The role it creates is shared by every stack
 * (tagged bridge:shared, not bridge:stack), so no teardown removes it from under another stack.
 */
import { GetAccountCommand, UpdateAccountCommand } from '@aws-sdk/client-api-gateway';
import { CreateRoleCommand, GetRoleCommand, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { BridgeError, NotOursError, isNotFound } from '../errors.js';
import { IAM_PATH, partitionValues, servicePrincipal } from '../names.js';
import { diffStatements, parsePolicy } from '../policy.js';
import { PROPAGATION, untilPropagated } from '../retry.js';
import { renderTemplate } from '../templates.js';
import type { Resource, StackContext } from './types.js';

export const ACCOUNT_LOGGING_ROLE = 'bridge-apigateway-cloudwatch';
export const SHARED_TAG = { Key: 'bridge:shared', Value: 'apigateway-account-logging' };

export interface AccountLoggingLive {
  roleArn: string | null;
}

export const apiAccountLogging: Resource<AccountLoggingLive, { manage: boolean }> = {
  kind: 'api-account-logging',
  title: 'API Gateway account logging',
  dependsOn: [],
  ownership: { of: 'account' },
  name: () => 'account CloudWatch role',
  read: async (ctx) => ({ roleArn: (await ctx.aws.apigateway.send(new GetAccountCommand({}))).cloudwatchRoleArn || null }),
  learn(ctx, live) {
    if (live?.roleArn) ctx.refs.accountLoggingRole = live.roleArn;
  },
  check(ctx, live) {
    if (!live?.roleArn && !ctx.config.api.configureAccountLogging) {
      ctx.notes.push(
        "API Gateway has no CloudWatch role in this account, so the stage's access and execution logs stay off: run setup with --configure-account-logging to set one (an account-wide setting)",
      );
    }
  },
  intended: (ctx) => ({ manage: ctx.config.api.configureAccountLogging }),
  diff: (live, intended) => (intended.manage && !live?.roleArn ? [{ field: 'cloudwatch-role', after: ACCOUNT_LOGGING_ROLE }] : []),
  async apply(ctx) {
    const roleArn = await ensureLoggingRole(ctx);
    // A new role takes a moment before API Gateway may use it (Terraform's provider retries the
    // same answer). One that is still refused after that is wrong, not new: say what to check.
    await untilPropagated(
      ctx,
      PROPAGATION.roleUsableByApiGateway,
      () => ctx.aws.apigateway.send(new UpdateAccountCommand({ patchOperations: [{ op: 'replace', path: '/cloudwatchRoleArn', value: roleArn }] })),
      {
        onGiveUp: (error, waitedMs) =>
          new BridgeError(
            `API Gateway still refuses the CloudWatch role ${roleArn} after ${Math.round(waitedMs / 1000)} s (${(error as Error).message}): check that its trust policy lets ${servicePrincipal('apigateway', ctx.names.region)} assume it and that its policy allows writing to CloudWatch Logs (templates/apigateway-logs-trust.json, templates/apigateway-logs-policy.json)`,
          ),
      },
    );
    ctx.refs.accountLoggingRole = roleArn;
  },
  describe: (ctx) => (ctx.refs.accountLoggingRole ? { name: 'API Gateway CloudWatch role', arn: ctx.refs.accountLoggingRole } : null),
};


async function ensureLoggingRole(ctx: StackContext): Promise<string> {
  const iam = ctx.aws.iam;
  const values = partitionValues(ctx.names);
  const trust = renderTemplate('apigateway-logs-trust', values);
  try {
    const role = (await iam.send(new GetRoleCommand({ RoleName: ACCOUNT_LOGGING_ROLE }))).Role;
    if (!role?.Tags?.some((t) => t.Key === SHARED_TAG.Key)) {
      throw new NotOursError('IAM role', ACCOUNT_LOGGING_ROLE, 'Set the API Gateway CloudWatch role yourself, then run setup without --configure-account-logging.');
    }
    // An earlier bridge gave it an aws:SourceAccount condition API Gateway may not satisfy.
    const live = role.AssumeRolePolicyDocument ? parsePolicy(role.AssumeRolePolicyDocument) : null;
    const difference = diffStatements(live, trust);
    if (difference.extra.length + difference.missing.length > 0) {
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: ACCOUNT_LOGGING_ROLE, PolicyDocument: JSON.stringify(trust) }));
    }
    return role.Arn as string;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const created = await iam.send(
    new CreateRoleCommand({
      RoleName: ACCOUNT_LOGGING_ROLE,
      Path: IAM_PATH,
      Description: 'API Gateway writes stage logs to CloudWatch Logs in this account (set by bridge --configure-account-logging)',
      AssumeRolePolicyDocument: JSON.stringify(trust),
      Tags: [SHARED_TAG],
    }),
  );
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: ACCOUNT_LOGGING_ROLE,
      PolicyName: 'write-logs',
      PolicyDocument: JSON.stringify(renderTemplate('apigateway-logs-policy', values)),
    }),
  );
  return created.Role?.Arn as string;
}
