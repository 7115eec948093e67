/**
 * audit --aws-checks: asks IAM's policy simulator and IAM Access Analyzer about the live policies
 * (the questions and the reading of the answers are src/access/aws-checks.ts). Each engine runs
 * on its own: one denied or absent is said in one line and the rest carry on.
 */
import { SimulateCustomPolicyCommand, type SimulateCustomPolicyCommandOutput } from '@aws-sdk/client-iam';
import {
  notGrantedChecks,
  noPublicAccessChecks,
  readPolicyCheck,
  readValidation,
  templateValidations,
  unavailability,
  type AwsOpinions,
  type EngineOutcome,
  type PolicyCheck,
  type PolicyCheckAnswer,
} from '../access/aws-checks.js';
import { readSimulation, simulationPlan, type SimulationCall } from '../access/simulator.js';
import { awsFailureText } from '../errors.js';
import type { PolicyDocument } from '../policy.js';
import { intendedOf } from '../resources/index.js';
import type { StackContext } from '../resources/types.js';
import type { TemplateName } from '../templates.js';
import { liveAccessTable, livePolicies } from './controls/access.js';
import type { AuditSnapshot } from './types.js';

/** IAM's simulator shares IAM's request quota with everything else: a few calls at a time. */
const SIMULATOR_PARALLEL = 4;

async function inTurn<T, R>(items: readonly T[], parallel: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      out[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
  return out;
}

/** Loaded only when --aws-checks asks: it is not on the start-up path. */
const accessAnalyzerSdk = () => import('@aws-sdk/client-accessanalyzer');

/** Access Analyzer's policy checks, one at a time: the first refusal ends the engine. */
async function checkInTurn<C extends PolicyCheck>(checks: readonly C[], ask: (check: C) => Promise<Parameters<typeof readPolicyCheck>[1]>): Promise<PolicyCheckAnswer[]> {
  const answers: PolicyCheckAnswer[] = [];
  for (const check of checks) answers.push(readPolicyCheck(check, await ask(check)));
  return answers;
}

async function outcome<T>(engine: string, run: () => Promise<T>): Promise<EngineOutcome<T>> {
  try {
    return { status: 'answered', answers: await run() };
  } catch (error) {
    const why = unavailability(error);
    return why ? { status: 'unavailable', reason: `${engine} is ${why}` } : { status: 'failed', reason: `${engine} failed: ${awsFailureText(error)}` };
  }
}

async function simulate(ctx: StackContext, call: SimulationCall) {
  const results: NonNullable<SimulateCustomPolicyCommandOutput['EvaluationResults']> = [];
  let Marker: string | undefined;
  do {
    const page = await ctx.aws.iamSecondOpinion.send(new SimulateCustomPolicyCommand({ ...call.input, ...(Marker ? { Marker } : {}) }));
    results.push(...(page.EvaluationResults ?? []));
    Marker = page.IsTruncated ? page.Marker : undefined;
  } while (Marker);
  return readSimulation(call, results);
}

/** The rendered templates the stack holds, as setup intends them (read from the snapshot). */
function intendedTemplates(s: AuditSnapshot): Partial<Record<TemplateName, PolicyDocument>> {
  const role = intendedOf(s.intended, 'execution-role');
  const operators = intendedOf(s.intended, 'operators-policy');
  const bucket = s.intended.get('bucket') as { policy: PolicyDocument } | undefined;
  const key = intendedOf(s.intended, 'kms-key-policy');
  const out: Partial<Record<TemplateName, PolicyDocument>> = {};
  if (role) Object.assign(out, { 'execution-role-policy': role.policy, 'execution-role-trust': role.trust });
  if (operators) out['operators-policy'] = operators.policy;
  if (bucket) out['bucket-policy'] = bucket.policy;
  if (key) out['kms-key-policy'] = key;
  const scheduler = intendedOf(s.intended, 'scheduler-role');
  if (scheduler?.wanted) Object.assign(out, { 'scheduler-role-policy': scheduler.policy, 'scheduler-role-trust': scheduler.trust });
  return out;
}

export async function gatherAwsOpinions(ctx: StackContext, s: AuditSnapshot): Promise<AwsOpinions> {
  const policies = livePolicies(s);
  const rows = liveAccessTable(s);
  const analyzer = () => ctx.aws.accessAnalyzer();
  const [simulator, notGranted, noPublicAccess, validation] = await Promise.all([
    outcome('IAM SimulateCustomPolicy', async () => {
      // No key or no API yet: access-as-intended says so; there is nothing to simulate.
      if (!rows) return { answers: [], beyond: [] };
      const plan = simulationPlan(rows, s.names, policies);
      // The first call alone: an engine that is denied or absent is known after one request.
      const [first, ...rest] = plan.calls;
      const answers = first ? [await simulate(ctx, first), ...(await inTurn(rest, SIMULATOR_PARALLEL, (call) => simulate(ctx, call)))] : [];
      return { answers: answers.flat(), beyond: plan.beyond };
    }),
    outcome('IAM Access Analyzer CheckAccessNotGranted', async () => {
      const [{ CheckAccessNotGrantedCommand }, client] = await Promise.all([accessAnalyzerSdk(), analyzer()]);
      return checkInTurn(notGrantedChecks(s.names, policies), (check) => client.send(new CheckAccessNotGrantedCommand(check.input)));
    }),
    outcome('IAM Access Analyzer CheckNoPublicAccess', async () => {
      const [{ CheckNoPublicAccessCommand }, client] = await Promise.all([accessAnalyzerSdk(), analyzer()]);
      return checkInTurn(noPublicAccessChecks(policies), (check) => client.send(new CheckNoPublicAccessCommand(check.input)));
    }),
    outcome('IAM Access Analyzer ValidatePolicy', async () => {
      const [{ ValidatePolicyCommand }, client] = await Promise.all([accessAnalyzerSdk(), analyzer()]);
      const out = [];
      for (const validation of templateValidations(s.names, intendedTemplates(s))) {
        const findings = [];
        let nextToken: string | undefined;
        do {
          const page = await client.send(new ValidatePolicyCommand({ ...validation.input, ...(nextToken ? { nextToken } : {}) }));
          findings.push(...(page.findings ?? []));
          nextToken = page.nextToken;
        } while (nextToken);
        out.push(readValidation(validation.template, findings));
      }
      return out;
    }),
  ]);
  return { simulator, notGranted, noPublicAccess, validation };
}
