/**
 * The second opinion of AWS's own engines (audit --aws-checks only): the policy simulator agreeing
 * with bridge's evaluator, Access Analyzer proving the "never" rows and that no resource policy is
 * public, and ValidatePolicy on every template. An engine denied or absent is SKIP, with why; one
 * that failed is ERROR.
 */
import type { AwsOpinions, EngineOutcome } from '../../access/aws-checks.js';
import type { AuditSnapshot, Control, Verdict } from '../types.js';
import { fail, pass, skip } from './verdicts.js';

const FIRST = 6;

function listed(items: string[]): string {
  return items.slice(0, FIRST).join('; ') + (items.length > FIRST ? `; and ${items.length - FIRST} more` : '');
}

function answered<T>(s: AuditSnapshot, pick: (o: AwsOpinions) => EngineOutcome<T>, judge: (answers: T) => Verdict): Verdict {
  if (!s.aws) return skip(s.names.stack, 'run with --aws-checks to ask AWS');
  const outcome = pick(s.aws);
  if (outcome.status === 'unavailable') return skip(s.names.stack, outcome.reason);
  if (outcome.status === 'failed') throw new Error(outcome.reason);
  return judge(outcome.answers);
}

const AWS_CHECK_READS = ['execution-role', 'operators', 'bucket', 'kms-key', 'api-permission', 'rest-api', 'managed-policies'];

export const awsCheckControls: Control[] = [
  {
    id: 'aws-simulator-agrees',
    title: "IAM's policy simulator decides the role's and the operator's requests as bridge's evaluator does",
    severity: 'medium',
    service: 'iam',
    frameworks: [{ framework: 'IAM policy simulator', id: 'SimulateCustomPolicy' }],
    remediation: "A disagreement means one of the two engines misreads a policy: read the request with bridge audit --explain, and report it to bridge if AWS's answer is the right one.",
    source: 'src/access/table.ts',
    reads: AWS_CHECK_READS,
    fixes: [],
    check: (s) =>
      answered(
        s,
        (o) => o.simulator,
        ({ answers, beyond }) => {
          if (answers.length === 0) return skip(s.names.stack, 'nothing to simulate: the stack has no key or no API yet');
          const differ = answers.filter((a) => a.cell.ours.decision !== 'cannot-judge' && a.aws !== a.cell.ours.decision);
          if (differ.length === 0) {
            return pass(
              s.names.stack,
              `the simulator agrees on ${answers.length} requests of the execution role and the operator; ${beyond.length} more (key and trust policies, service principals, other accounts) are beyond it and judged by bridge's evaluator alone`,
            );
          }
          return fail(
            s.names.stack,
            listed(
              differ.map(
                (a) =>
                  `${a.cell.row.principal} ${a.cell.row.request.action} on ${a.cell.row.request.resource} (${a.cell.row.what}), on the ${a.cell.scope}: AWS ${a.decision}${a.matched.length ? ` by ${a.matched.join(', ')}` : ''}, bridge ${a.cell.ours.decision}${a.missingContext.length ? ` (AWS lacked ${a.missingContext.join(', ')})` : ''}`,
              ),
            ),
          );
        },
      ),
  },
  {
    id: 'aws-access-not-granted',
    title: 'IAM Access Analyzer finds none of the never-granted access in any policy of the stack',
    severity: 'high',
    service: 'iam',
    frameworks: [{ framework: 'IAM Access Analyzer', id: 'CheckAccessNotGranted' }],
    remediation: 'Put back the documents the finding names (bridge audit --fix), or remove the statement Access Analyzer points at.',
    source: 'src/access/aws-checks.ts',
    reads: AWS_CHECK_READS,
    fixes: ['execution-role', 'operators', 'operators-policy', 'bucket', 'api-permission'],
    check: (s) =>
      answered(
        s,
        (o) => o.notGranted,
        (answers) => {
          const failed = answers.filter((a) => a.result === 'FAIL');
          if (failed.length === 0) return pass(s.names.stack, `${answers.length} checks passed: ${[...new Set(answers.map((a) => a.check.says))].join('; ')}`);
          return fail(s.names.stack, listed(failed.map((a) => `${a.check.policy} may grant what it must not (${a.check.says}): ${a.reasons.join(', ') || a.message}`)));
        },
      ),
  },
  {
    id: 'aws-no-public-access',
    title: 'IAM Access Analyzer finds no public access in the bucket, key, function or trust policy',
    severity: 'critical',
    service: 'iam',
    frameworks: [{ framework: 'IAM Access Analyzer', id: 'CheckNoPublicAccess' }],
    remediation: 'Put back the resource policy the finding names (bridge audit --fix).',
    source: 'src/access/aws-checks.ts',
    reads: AWS_CHECK_READS,
    fixes: ['execution-role', 'bucket', 'kms-key-policy', 'api-permission'],
    check: (s) =>
      answered(
        s,
        (o) => o.noPublicAccess,
        (answers) => {
          const failed = answers.filter((a) => a.result === 'FAIL');
          if (failed.length === 0) return pass(s.names.stack, `no public access in ${answers.map((a) => a.check.policy).join(', ')}`);
          return fail(s.names.stack, listed(failed.map((a) => `${a.check.policy} grants public access: ${a.reasons.join(', ') || a.message}`)));
        },
      ),
  },
  {
    id: 'aws-policy-validation',
    title: "IAM Access Analyzer's ValidatePolicy finds no error or security warning in any template",
    severity: 'medium',
    service: 'iam',
    frameworks: [{ framework: 'IAM Access Analyzer', id: 'ValidatePolicy' }],
    remediation: "Correct the template the finding names (templates/), following Access Analyzer's link.",
    source: 'templates/',
    reads: [],
    fixes: [],
    check: (s) =>
      answered(
        s,
        (o) => o.validation,
        (answers) => {
          const findings = answers.flatMap((a) => a.findings.map((f) => ({ template: a.template, ...f })));
          const serious = findings.filter((f) => f.type === 'ERROR' || f.type === 'SECURITY_WARNING');
          const text = (f: (typeof findings)[number]) => `templates/${f.template}.json ${f.path ? `${f.path} ` : ''}${f.type} ${f.code}: ${f.details}${f.link ? ` (${f.link})` : ''}`;
          if (serious.length > 0) return fail(s.names.stack, listed(serious.map(text)));
          const minor = findings.length === 0 ? 'no findings' : `only ${findings.length} warnings and suggestions: ${listed(findings.map(text))}`;
          return pass(s.names.stack, `${answers.length} templates validated, ${minor}`);
        },
      ),
  },
];
