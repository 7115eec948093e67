/**
 * The stack as a whole: exactly one of each resource it owns. Two setups that raced before the
 * stack had its lock, a run killed between a create and the tag that finds it again, or a copy made
 * by hand leave a second key or API tagged for the stack, which nothing audits or tears down.
 */
import { liveOf } from '../../resources/index.js';
import { apiArns, apiKeyArn, usagePlanArn, type StackNames } from '../../names.js';
import type { AuditSnapshot, Control } from '../types.js';
import { fail, live, pass } from './verdicts.js';

/** ARNs as the tagging API spells them: a log group without ':*', an API's stage as its API. */
function normalArn(arn: string): string {
  return arn.replace(/:\*$/, '').replace(/^(arn:[^:]+:apigateway:[^:]*::\/restapis\/[^/]+)\/.*$/, '$1');
}

/** Pure: the ARNs that are the stack's own resources, as the snapshot knows them. */
export function stackArns(s: Pick<AuditSnapshot, 'names' | 'keyArn' | 'lives'>): Set<string> {
  const n: StackNames = s.names;
  const arns = [n.bucketArn, n.functionArn, n.functionLogGroupArn, n.apiLogGroupArn, n.parameterArn, n.lockParameterArn, n.roleArn, n.operatorUserArn, n.operatorGroupArn];
  // The schedule's parts, present or left (a dead-letter queue holding failed runs stays after --schedule none).
  arns.push(n.scheduleGroupArn, n.schedulerRoleArn, n.deadLetterQueueArn);
  if (s.keyArn) arns.push(s.keyArn);
  const api = liveOf(s.lives, 'rest-api');
  if (api) arns.push(apiArns(n, api.id).restApiArn, apiArns(n, api.id).executionLogGroupArn);
  const usage = liveOf(s.lives, 'api-key');
  if (usage?.plan) arns.push(usagePlanArn(n, usage.plan.id));
  if (usage?.key) arns.push(apiKeyArn(n, usage.key.id));
  return new Set(arns.map(normalArn));
}

/** Pure: what is tagged for the stack (or found under its names) besides its own resources, for people. */
export function strayResources(s: AuditSnapshot): string[] {
  const own = stackArns(s);
  const found = new Set<string>([
    ...(s.inventory?.tagged ?? []).map(normalArn),
    ...(live(s, 'rest-api')?.duplicates ?? []),
    ...(live(s, 'api-key')?.duplicates ?? []),
  ]);
  const strays: string[] = [];
  for (const arn of [...found].sort()) {
    if (own.has(arn)) continue;
    if (/^arn:[^:]+:kms:/.test(arn)) {
      const state = s.inventory?.otherKeys[arn] ?? 'unknown';
      // A key an earlier teardown scheduled for deletion is on its way out, as intended.
      if (state === 'PendingDeletion' || state === 'gone') continue;
      strays.push(`a second KMS key ${arn} (${state})`);
      continue;
    }
    // The same stack name in another region (bucket ARNs name no region).
    const bucketRegion = s.inventory?.otherBuckets[arn];
    if (bucketRegion && bucketRegion !== 'unknown' && bucketRegion !== s.names.region) continue;
    // Execution logs of an API the stack had before: data an earlier teardown kept.
    if (/:log-group:API-Gateway-Execution-Logs_/.test(arn)) continue;
    if (/:apigateway:.*::\/restapis\//.test(arn)) strays.push(`a second REST API ${s.names.apiName}: ${arn}`);
    else if (/::\/(usageplans|apikeys)\//.test(arn)) strays.push(`a second ${arn.includes('/usageplans/') ? 'usage plan' : 'API key'}: ${arn}`);
    else strays.push(`${arn}, tagged for the stack but not one of its resources`);
  }
  return strays;
}

export const stackControls: Control[] = [
  {
    id: 'stack-no-duplicates',
    title: 'Exactly one of each resource the stack owns, and nothing else tagged for it',
    severity: 'medium',
    service: 'stack',
    frameworks: [],
    remediation:
      'Remove each extra once you know nothing uses it (a key: aws kms schedule-key-deletion; an API: aws apigateway delete-rest-api), or untag it if it belongs to something else; nothing audits or tears down a copy.',
    source: 'src/lock.ts',
    reads: ['inventory', 'kms-key', 'rest-api', 'api-key'],
    fixes: [],
    check(s) {
      const strays = strayResources(s);
      const where = `stack ${s.stack}`;
      if (strays.length === 0) return pass(where, 'one of each, nothing else tagged for the stack');
      const more = strays.length > 4 ? `, and ${strays.length - 4} more` : '';
      return fail(where, `${strays.slice(0, 4).join('; ')}${more}`);
    },
  },
];
