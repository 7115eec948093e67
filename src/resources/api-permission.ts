/**
 * The function's resource policy: exactly one statement, letting API Gateway invoke it for this
 * API's prod GET /data and nothing wider. Any other statement is access nobody reviewed: removed.
 */
import { AddPermissionCommand, GetPolicyCommand, RemovePermissionCommand } from '@aws-sdk/client-lambda';
import { unlessNotFound } from '../errors.js';
import { apiArns, servicePrincipal } from '../names.js';
import { parsePolicy, type PolicyStatement } from '../policy.js';
import { KNOWN_AFTER_APPLY, type FieldChange, type Resource, type StackContext } from './types.js';

export const PERMISSION_SID = 'bridge-api-get-data';

export interface PermissionLive {
  statements: PolicyStatement[];
}

export interface PermissionIntended {
  sourceArn: string;
  functionArn: string;
  /** API Gateway's service principal in this partition. */
  principal: string;
}

export async function readFunctionPolicy(ctx: StackContext): Promise<PolicyStatement[] | null> {
  // Null: no function (nothing to read yet), or a function with no resource policy.
  const result = await unlessNotFound(ctx.aws.lambda.send(new GetPolicyCommand({ FunctionName: ctx.names.functionName })), 'ResourceNotFoundException');
  if (!result) return null;
  return result.Policy ? parsePolicy(result.Policy).Statement : [];
}

function sourceArnOf(statement: PolicyStatement): string | undefined {
  const condition = statement.Condition ?? {};
  const value = condition.ArnLike?.['AWS:SourceArn'] ?? condition.ArnEquals?.['AWS:SourceArn'] ?? condition.StringEquals?.['AWS:SourceArn'];
  return typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : undefined;
}

function principalOf(statement: PolicyStatement): string {
  const p = statement.Principal as { Service?: string | string[]; AWS?: string | string[] } | string | undefined;
  if (typeof p === 'string') return p;
  return [p?.Service, p?.AWS].flat().filter(Boolean).join(',');
}

/** Ours, and exactly as intended: API Gateway, invoke only, this method's ARN. */
export function isIntendedStatement(statement: PolicyStatement, intended: PermissionIntended): boolean {
  const actions = [statement.Action].flat();
  return (
    statement.Sid === PERMISSION_SID &&
    statement.Effect === 'Allow' &&
    principalOf(statement) === intended.principal &&
    actions.length === 1 &&
    actions[0] === 'lambda:InvokeFunction' &&
    sourceArnOf(statement) === intended.sourceArn
  );
}

export function describeStatement(s: PolicyStatement): string {
  return `${s.Sid ?? '(no sid)'}: ${principalOf(s) || 'no principal'} may ${[s.Action].flat().join(',')}${sourceArnOf(s) ? ` from ${sourceArnOf(s)}` : ' from anywhere'}`;
}

export function diffPermission(live: PermissionLive | null, intended: PermissionIntended): FieldChange[] {
  const statements = live?.statements ?? [];
  const ours = statements.find((s) => s.Sid === PERMISSION_SID);
  const changes: FieldChange[] = [];
  if (!ours || !isIntendedStatement(ours, intended)) {
    changes.push({ field: 'permission', before: ours ? describeStatement(ours) : 'missing', after: `${intended.principal} may invoke from ${intended.sourceArn}` });
  }
  const others = statements.filter((s) => s.Sid !== PERMISSION_SID);
  if (others.length > 0) changes.push({ field: 'other-permissions', details: others.map((s) => `- ${describeStatement(s)}`) });
  return changes;
}

export const apiPermission: Resource<PermissionLive, PermissionIntended> = {
  kind: 'api-permission',
  title: 'Lambda permission',
  dependsOn: ['api'],
  ownership: { of: 'part', partOf: 'function' },
  name: (ctx) => `${ctx.names.functionName} ${PERMISSION_SID}`,
  read: async (ctx) => {
    const statements = await readFunctionPolicy(ctx);
    return statements === null ? null : { statements };
  },
  intended: (ctx) => ({
    sourceArn: ctx.refs.apiId ? apiArns(ctx.names, ctx.refs.apiId).methodArn : KNOWN_AFTER_APPLY,
    functionArn: ctx.names.functionArn,
    principal: servicePrincipal('apigateway', ctx.names.region),
  }),
  diff: diffPermission,
  async apply(ctx, live, intended, changes) {
    const lambda = ctx.aws.lambda;
    const FunctionName = ctx.names.functionName;
    const fields = new Set(changes.map((c) => c.field));
    for (const statement of live?.statements ?? []) {
      const replacing = statement.Sid === PERMISSION_SID && fields.has('permission');
      const extra = statement.Sid !== PERMISSION_SID && fields.has('other-permissions');
      if ((replacing || extra) && statement.Sid) await lambda.send(new RemovePermissionCommand({ FunctionName, StatementId: statement.Sid }));
    }
    if (fields.has('permission')) {
      await lambda.send(
        new AddPermissionCommand({
          FunctionName,
          StatementId: PERMISSION_SID,
          Action: 'lambda:InvokeFunction',
          Principal: intended.principal,
          SourceArn: intended.sourceArn,
          SourceAccount: ctx.names.account,
        }),
      );
    }
  },
  describe: () => null,
};

