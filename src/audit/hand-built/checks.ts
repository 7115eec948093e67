/**
 * A data bridge bridge did not build, judged with the same catalogue and ids where a control means
 * the same without bridge's intended state; the others are SKIP with the reason. Every finding
 * names the resource and the policy or statement at fault, and its fix says what the secure stack
 * does instead. Pure: the discovered stack comes in as data.
 */
import { servicePrincipal } from '../../names.js';
import type { PolicyStatement } from '../../policy.js';
import { runtimeSupported } from '../../runtimes.js';
import { VERSION } from '../../version.js';
import { CONTROLS } from '../controls/index.js';
import { trustProblems } from '../controls/iam.js';
import { secretLikeVariables } from '../controls/lambda.js';
import { tlsOnlyProblem } from '../controls/s3.js';
import { awsPrincipals, grantsOutside, list } from '../controls/verdicts.js';
import { describeGrants, escalationGrants, grantsOf, type Grant } from '../permissions.js';
import { summarize } from '../run.js';
import { AUDIT_SCHEMA_VERSION, type AuditReport, type AuditResult, type Control } from '../types.js';
import type { HandBuilt, HandBuiltBucket, HandBuiltPrincipal } from './discover.js';

type Finding = { status: 'PASS' | 'FAIL' | 'SKIP'; resource: string; detail: string };

interface HandBuiltCheck {
  /** What the discovery must have read (HandBuilt.errors' names); a failed read makes it ERROR. */
  reads: string[];
  kind: string;
  /** What the secure stack does instead: the fix, for this stack. */
  fix: string;
  check(h: HandBuilt): Finding;
}

const pass = (resource: string, detail: string): Finding => ({ status: 'PASS', resource, detail });
const fail = (resource: string, detail: string): Finding => ({ status: 'FAIL', resource, detail });
const skip = (resource: string, detail: string): Finding => ({ status: 'SKIP', resource, detail });

/** Every bucket judged alike: FAIL naming each that fails, PASS when all hold. */
function overBuckets(h: HandBuilt, problem: (b: HandBuiltBucket) => string | null, passed: string): Finding {
  if (h.buckets.length === 0) return skip(h.function.arn, 'no bucket found: neither the environment nor the role names one that exists');
  const failing = h.buckets.flatMap((b) => {
    const p = problem(b);
    return p ? [{ b, p }] : [];
  });
  if (failing.length === 0) return pass(h.buckets.map((b) => b.arn).join(', '), passed);
  return fail(failing.map((f) => f.b.arn).join(', '), failing.map((f) => `${f.b.name}: ${f.p}`).join('; '));
}

const statementName = (st: PolicyStatement, index: number) => (st.Sid ? `statement ${st.Sid}` : `statement ${index + 1}`);

/** What a role or group holds beyond a data bridge's needs, by policy: wildcards, other buckets, deletes, reads. */
function excessOf(p: HandBuiltPrincipal, h: HandBuilt, writer: boolean): string[] {
  const findings: string[] = [];
  for (const policy of p.policies) {
    const label = `${policy.kind === 'inline' ? 'inline policy' : `${policy.kind} policy`} ${policy.name}`;
    policy.document.Statement.forEach((st, index) => {
      if (st.Effect !== 'Allow') return;
      const actions = list(st.Action);
      const resources = list(st.Resource ?? '*');
      const where = `${label} ${statementName(st, index)}`;
      const wildcard = actions.filter((a) => a === '*' || /:\*$/.test(a));
      if (wildcard.length > 0) findings.push(`${where} allows ${wildcard.join(', ')} (every action of the service)`);
      const s3 = actions.filter((a) => /^s3:/i.test(a) || a === '*');
      if (s3.length > 0 && resources.some((r) => r === '*' || /^arn:[\w-]+:s3:::\*/.test(r))) findings.push(`${where} allows ${s3.join(', ')} on every bucket in the account`);
      const grants = grantsOf({ Statement: [st] }, h.actions);
      const deletes = [...new Set(grants.filter((g) => /^s3:Delete/i.test(g.action)).map((g) => g.action))];
      if (deletes.length > 0) findings.push(`${where} allows ${deletes.join(', ')}: a stolen role can erase the data`);
      if (writer) {
        const reads = [...new Set(grants.filter((g) => /^s3:(Get|List)/i.test(g.action) && g.resource !== '*').map((g) => g.action))];
        if (reads.length > 0 && !s3.some((a) => a === '*')) findings.push(`${where} allows ${reads.slice(0, 4).join(', ')}${reads.length > 4 ? ` and ${reads.length - 4} more` : ''}: the function only writes`);
      }
    });
  }
  return findings;
}

function allGrants(p: HandBuiltPrincipal | null, h: HandBuilt): Grant[] {
  return (p?.policies ?? []).flatMap((policy) => grantsOf(policy.document, h.actions, `${policy.kind} policy ${policy.name}`));
}

const operatorsOf = (h: HandBuilt): HandBuiltPrincipal[] => [...(h.operators?.group ? [h.operators.group] : []), ...(h.operators?.users ?? [])];

const NO_OPERATORS = 'no operators named: give --operators-group NAME or --operators-user NAME';

export const HAND_BUILT_CHECKS: Record<string, HandBuiltCheck> = {
  'iam-role-least-privilege': {
    reads: ['role'],
    kind: 'iam-role',
    fix: "bridge's role has one inline policy: s3:PutObject under the data prefix of one bucket, the key only through S3 for it, its one parameter and its own log group; no managed policy, no read, no delete (templates/execution-role-policy.json).",
    check(h) {
      if (!h.role) return fail(h.function.roleArn, 'the role could not be found');
      const found = excessOf(h.role, h, true);
      return found.length === 0 ? pass(h.role.arn, 'no wildcard, no delete, no read, no grant on every bucket') : fail(h.role.arn, found.join('; '));
    },
  },
  'iam-role-trust': {
    reads: ['role'],
    kind: 'iam-role',
    fix: 'Trust lambda.amazonaws.com only with aws:SourceAccount set to this account, as bridge does (templates/execution-role-trust.json).',
    check(h) {
      if (!h.role) return fail(h.function.roleArn, 'the role could not be found');
      const problems = trustProblems(h.role.trust ?? null, servicePrincipal('lambda', h.region), h.account);
      return problems.length === 0 ? pass(h.role.arn, 'Lambda in this account only') : fail(h.role.arn, `trust policy: ${problems.join('; ')}`);
    },
  },
  'iam-no-privilege-escalation': {
    reads: ['role', 'operators'],
    kind: 'stack',
    fix: 'Remove the policies that grant these actions; bridge gives no principal of the stack any of them.',
    check(h) {
      const principals = [...(h.role ? [h.role] : []), ...operatorsOf(h)];
      const found = principals.flatMap((p) => {
        const grants = escalationGrants(allGrants(p, h));
        return grants.length > 0 ? [`${p.kind} ${p.name}: ${describeGrants('allows', grants, 4).join('; ')}`] : [];
      });
      return found.length === 0 ? pass(`function ${h.function.name}`, 'no escalation actions') : fail(principals.map((p) => p.arn).join(', '), found.join(' | '));
    },
  },
  'iam-operators-least-privilege': {
    reads: ['operators'],
    kind: 'iam-group',
    fix: "bridge's operators group reads this bucket's data under its prefix, decrypts only through S3, reads the stack's logs and invokes the function; no AWS managed policy (templates/operators-policy.json).",
    check(h) {
      const group = h.operators?.group ?? null;
      const subjects = group ? [group] : (h.operators?.users ?? []);
      if (subjects.length === 0) return skip(`function ${h.function.name}`, NO_OPERATORS);
      const found = subjects.flatMap((p) => [
        ...p.policies.filter((policy) => policy.kind === 'AWS managed').map((policy) => `${p.kind} ${p.name}: AWS managed policy ${policy.name} reaches beyond this stack`),
        ...excessOf(p, h, false).map((f) => `${p.kind} ${p.name}: ${f}`),
      ]);
      return found.length === 0 ? pass(subjects.map((p) => p.arn).join(', '), 'no managed policy, no wildcard, no delete') : fail(subjects.map((p) => p.arn).join(', '), [...new Set(found)].join('; '));
    },
  },
  'iam-user-no-direct-policies': {
    reads: ['operators'],
    kind: 'iam-user',
    fix: "Hold people's access in the group only, as bridge does: remove the user's own policies.",
    check(h) {
      const users = h.operators?.users ?? [];
      if (users.length === 0) return skip(`function ${h.function.name}`, h.operators ? 'the operators group has no members' : NO_OPERATORS);
      const direct = users.filter((u) => u.policies.length > 0);
      return direct.length === 0
        ? pass(users.map((u) => u.arn).join(', '), 'no user holds policies of its own')
        : fail(direct.map((u) => u.arn).join(', '), direct.map((u) => `${u.name} holds ${u.policies.map((p) => p.name).join(', ')}`).join('; '));
    },
  },
  's3-policy': {
    reads: ['buckets'],
    kind: 's3-bucket',
    fix: "bridge's bucket policy grants no service at all: the function writes with its role's own grant, and the policy only denies (no TLS, another key).",
    check: (h) =>
      overBuckets(
        h,
        (b) => {
          const problems = (b.settings.policy?.Statement ?? []).flatMap((st, index) => {
            const outside = grantsOutside(st, h.account);
            if (outside) return [`${statementName(st, index)} ${outside}`];
            if (st.Effect !== 'Allow') return [];
            const services = list((st.Principal as { Service?: unknown } | undefined)?.Service);
            const conditions = JSON.stringify(st.Condition ?? {});
            const scoped = /aws:SourceArn|aws:SourceAccount/i.test(conditions);
            return services.length > 0 && !scoped
              ? [`${statementName(st, index)} grants ${list(st.Action).join(', ')} to the whole ${services.join(', ')} service, with no aws:SourceArn or aws:SourceAccount (any account's use of that service can reach it: the confused deputy)`]
              : [];
          });
          return problems.length > 0 ? problems.join('; ') : null;
        },
        'no grant to everyone, another account or an unscoped service',
      ),
  },
  's3-public-access-block': {
    reads: ['buckets'],
    kind: 's3-bucket',
    fix: 'Turn on all four public-access blocks, as bridge does.',
    check: (h) =>
      overBuckets(
        h,
        (b) => {
          const block = b.settings.publicAccessBlock;
          const off = block ? Object.entries(block).filter(([, on]) => !on).map(([flag]) => flag) : ['all four (no configuration)'];
          return off.length > 0 ? `off: ${off.join(', ')}` : null;
        },
        'all four on',
      ),
  },
  's3-tls-only': {
    reads: ['buckets'],
    kind: 's3-bucket',
    fix: "Deny every request without TLS, for every principal, on the bucket and its objects (bridge's bucket policy, templates/bucket-policy.json).",
    check: (h) => overBuckets(h, (b) => tlsOnlyProblem(b.settings.policy?.Statement ?? [], b.arn), 'requests without TLS are denied'),
  },
  's3-default-encryption': {
    reads: ['buckets'],
    kind: 's3-bucket',
    fix: "Encrypt with a customer managed key of the stack's own, rotation on, S3 Bucket Key on, as bridge does: its key policy says who may decrypt, which the AWS managed aws/s3 key cannot.",
    check: (h) =>
      overBuckets(
        h,
        (b) => {
          const e = b.settings.encryption;
          if (!e) return 'no default encryption';
          if (e.algorithm !== 'aws:kms') return `default encryption is ${e.algorithm}, not SSE-KMS with a customer managed key`;
          if (!b.key || b.key.manager === 'AWS') return 'SSE-KMS with the AWS managed key aws/s3: its policy cannot be narrowed to the bridge\'s readers';
          if (b.key.manager !== 'CUSTOMER') return `KMS does not say who manages the key ${b.key.arn}`;
          if (b.key.rotation === false) return `the customer managed key ${b.key.arn} does not rotate`;
          if (!e.bucketKey) return 'S3 Bucket Key is off';
          return null;
        },
        'SSE-KMS with a customer managed key, rotation on, Bucket Key on',
      ),
  },
  's3-versioning': {
    reads: ['buckets'],
    kind: 's3-bucket',
    fix: 'Enable versioning, as bridge does: an overwrite or a delete then keeps the earlier version.',
    check: (h) => overBuckets(h, (b) => (b.settings.versioning === 'Enabled' ? null : `versioning is ${b.settings.versioning ?? 'never enabled'}: an overwrite or delete loses data`), 'enabled'),
  },
  's3-lifecycle': {
    reads: ['buckets'],
    kind: 's3-bucket',
    fix: 'Expire noncurrent versions (bridge: after 365 days) and abort incomplete uploads after 7 days.',
    check: (h) =>
      overBuckets(
        h,
        (b) => {
          const enabled = b.settings.lifecycle.filter((r) => r.Status === 'Enabled');
          const missing = [
            ...(enabled.some((r) => r.NoncurrentVersionExpiration) ? [] : ['noncurrent versions never expire']),
            ...(enabled.some((r) => r.AbortIncompleteMultipartUpload) ? [] : ['incomplete uploads are never aborted']),
          ];
          return missing.length > 0 ? missing.join(', ') : null;
        },
        'noncurrent versions expire, incomplete uploads are aborted',
      ),
  },
  'lambda-no-secrets-in-env': {
    reads: [],
    kind: 'lambda-function',
    fix: 'Move the secret to an SSM SecureString under a customer managed key and read it at run time, as bridge does (bridge adopt moves it), then rotate it: it has been readable by anyone allowed lambda:GetFunctionConfiguration.',
    check(h) {
      const found = secretLikeVariables(h.function.environment);
      return found.length === 0 ? pass(h.function.arn, `${Object.keys(h.function.environment).length} variables, none secret-like`) : fail(h.function.arn, found.join('; '));
    },
  },
  'lambda-runtime-supported': {
    reads: [],
    kind: 'lambda-function',
    fix: 'Move to a supported runtime (bridge deploys nodejs24.x).',
    check: (h) => (runtimeSupported(h.function.runtime, h.now) ? pass(h.function.arn, `${h.function.runtime} is supported`) : fail(h.function.arn, `${h.function.runtime || 'no runtime'} is deprecated or unknown`)),
  },
  'lambda-permission-scoped': {
    reads: ['function-policy'],
    kind: 'lambda-function',
    fix: "Allow only API Gateway, for the one API, stage, method and path that should run it (bridge: prod GET /data), with aws:SourceAccount.",
    check(h) {
      const problems = h.function.permissions.flatMap((st, index) => {
        if (st.Effect !== 'Allow') return [];
        if (st.Principal === '*' || awsPrincipals(st).includes('*')) return [`${statementName(st, index)} allows everyone`];
        const source = list((st.Condition?.ArnLike ?? st.Condition?.ArnEquals ?? {})['AWS:SourceArn'] ?? (st.Condition?.ArnLike ?? st.Condition?.ArnEquals ?? {})['aws:SourceArn']);
        if (source.length === 0) return [`${statementName(st, index)} has no source ARN: any API or rule of the service can run it`];
        const broad = source.filter((arn) => /\/\*\/\*\/\*$|\/\*\/\*$|\*$/.test(arn));
        return broad.length > 0 ? [`${statementName(st, index)} allows ${broad.join(', ')}: every stage, method and path`] : [];
      });
      if (h.function.permissions.length === 0) return pass(h.function.arn, 'no resource policy: nothing but its owner invokes it');
      return problems.length === 0 ? pass(h.function.arn, 'every permission names its source') : fail(h.function.arn, problems.join('; '));
    },
  },
  'api-auth-required': {
    reads: ['apis'],
    kind: 'api-method',
    fix: 'Require AWS_IAM (SigV4, the default of bridge) or an API key with a usage plan on every method that runs the function.',
    check(h) {
      if (h.apis.length === 0) return skip(h.function.arn, 'no REST API calls the function');
      const open = h.apis.flatMap((api) => api.methods.filter((m) => m.authorization === 'NONE' && !m.apiKeyRequired).map((m) => `${api.name} ${m.httpMethod} ${m.path} has authorization NONE: anyone on the internet can run the function`));
      return open.length === 0 ? pass(h.apis.map((a) => a.arn).join(', '), 'every method requires authorization') : fail(h.apis.map((a) => a.arn).join(', '), open.join('; '));
    },
  },
  'api-access-logging': {
    reads: ['apis'],
    kind: 'api-stage',
    fix: 'Write each stage\'s access logs to a log group made first with retention and the stack key, as bridge does.',
    check(h) {
      const stages = h.apis.flatMap((api) => api.stages.map((s) => ({ api, s })));
      if (stages.length === 0) return skip(h.function.arn, h.apis.length === 0 ? 'no REST API calls the function' : 'the API has no stage');
      const off = stages.filter(({ s }) => !s.accessLogDestination);
      return off.length === 0 ? pass(stages.map(({ s }) => s.arn).join(', '), 'every stage writes access logs') : fail(off.map(({ s }) => s.arn).join(', '), off.map(({ api, s }) => `${api.name} stage ${s.name} writes no access logs`).join('; '));
    },
  },
  'logs-retention-encryption': {
    reads: ['log-group'],
    kind: 'log-group',
    fix: 'Make the log group before the first run, with a retention and a customer managed key, as bridge does (Lambda makes it otherwise, kept forever, unencrypted).',
    check(h) {
      const g = h.logGroup;
      if (!g) return fail(`/aws/lambda/${h.function.name}`, 'no log group: the first run makes one, kept forever and not encrypted with a key of yours');
      const problems = [...(g.retentionDays ? [] : ['kept forever (no retention)']), ...(g.kmsKeyId ? [] : ['not encrypted with a customer managed key'])];
      return problems.length === 0 ? pass(g.arn, `${g.retentionDays} days, ${g.kmsKeyId}`) : fail(g.arn, problems.join('; '));
    },
  },
};

/** Why a control of the catalogue says nothing of a stack bridge did not build. */
const NOT_APPLICABLE = "it compares with the state bridge intends (its names, key, templates or code), which a stack bridge did not build does not have";

/** The report of a hand-built stack: every control of the catalogue, judged, SKIP with its reason, or ERROR. */
export function handBuiltReport(h: HandBuilt, controls: readonly Control[] = CONTROLS): AuditReport {
  const results = controls.map((control): AuditResult => {
    const check = HAND_BUILT_CHECKS[control.id];
    const base = { id: control.id, title: control.title, severity: control.severity, frameworks: control.frameworks };
    if (!check) return { ...base, status: 'SKIP', resource: `function ${h.function.name}`, resourceKind: 'stack', resourceArn: h.function.arn, detail: `not judged: ${NOT_APPLICABLE}`, remediation: control.remediation };
    const failedRead = check.reads.find((what) => h.errors.has(what));
    const finding: { status: AuditResult['status']; resource: string; detail: string } = failedRead
      ? { status: 'ERROR', resource: h.function.arn, detail: `could not read ${failedRead}: ${h.errors.get(failedRead)}` }
      : (() => {
          try {
            return check.check(h);
          } catch (error) {
            return { status: 'ERROR' as const, resource: h.function.arn, detail: `the check failed: ${(error as Error).message}` };
          }
        })();
    return { ...base, status: finding.status, resource: finding.resource, resourceKind: check.kind, resourceArn: finding.resource.split(', ')[0] as string, detail: finding.detail, remediation: check.fix };
  });
  return {
    schemaVersion: AUDIT_SCHEMA_VERSION,
    bridgeVersion: VERSION,
    generatedAt: h.now.toISOString(),
    stack: `function:${h.function.name}`,
    region: h.region,
    account: h.account,
    summary: summarize(results),
    results,
  };
}
