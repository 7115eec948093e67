import { diffPermission, describeStatement } from '../../resources/api-permission.js';
import { keyPlacementOf } from '../../../handler/core.js';
import { minimumUnreserved, reservationFits, type FunctionLive } from '../../resources/function-state.js';
import type { PolicyStatement } from '../../policy.js';
import { looksLikeCredentialName } from '../../config.js';
import { KNOWN_AFTER_APPLY } from '../../resources/types.js';
import { runtimeSupported } from '../../runtimes.js';
import type { AuditSnapshot, Control, Verdict } from '../types.js';
import { awsPrincipals, fail, intended, list, live, pass, whenPresent } from './verdicts.js';

const FN_SOURCE = 'src/resources/function.ts';

function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts.values()].reduce((sum, n) => sum - (n / value.length) * Math.log2(n / value.length), 0);
}

/** A value that points at a secret rather than being one: an ARN, a parameter path, a placement. */
function isReference(value: string): boolean {
  return /^arn:aws[\w-]*:/.test(value) || /^\/[\w./-]+$/.test(value) || keyPlacementOf(value) !== null || /^\{\{resolve:/.test(value);
}

/** Environment variables that look like secrets: by value shape, by name, by entropy. Names only, never values. */
export function secretLikeVariables(environment: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(environment)) {
    let reason: string | null = null;
    if (/\b(AKIA|ASIA)[0-9A-Z]{16}\b/.test(value)) reason = 'holds an AWS access key id';
    else if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value)) reason = 'holds a private key';
    else if (/^https?:\/\//.test(value)) {
      try {
        const url = new URL(value);
        const credential = [...url.searchParams.keys()].find(looksLikeCredentialName);
        if (url.password || credential) reason = `is a URL carrying a credential${credential ? ` (${credential}=)` : ''}`;
      } catch {
        // Not a URL after all.
      }
    } else if (!isReference(value) && /^[0-9a-f]{32,}$/i.test(value)) {
      // Many API keys (OpenWeatherMap's among them) are 32 hex characters.
      reason = 'holds a long hexadecimal value';
    } else if (!isReference(value) && value.length >= 8 && /(secret|passw(or)?d|pwd|token|api[-_]?key|apikey|private[-_]?key|credential)/i.test(name)) {
      reason = 'is named like a secret and holds a value';
    } else if (!isReference(value) && value.length >= 20 && !/\s/.test(value)) {
      // Tokens mix cases and digits; names such as bucket names (lower case, digits, hyphens) do not.
      const tokenLike = /[a-z]/.test(value) && /[A-Z]/.test(value) && /\d/.test(value);
      if (tokenLike && entropy(value) >= 3.5) reason = 'holds a high-entropy value';
    }
    if (reason) found.push(`${name} ${reason}`);
  }
  return found;
}

/** Variables that change how the runtime starts: they can run code before the handler. */
const STARTUP_VARIABLES = new Set(['NODE_OPTIONS', 'AWS_LAMBDA_EXEC_WRAPPER', 'NODE_PATH', 'LD_PRELOAD', 'LD_LIBRARY_PATH', '_HANDLER', 'AWS_LAMBDA_RUNTIME_API']);

/**
 * The live environment against the intended one, by name only (a drifted value may be a secret):
 * extra variables, missing ones, changed ones. Values bridge cannot know before apply are not judged.
 */
export function environmentDrift(liveEnvironment: Record<string, string>, wanted: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(liveEnvironment).sort()) {
    if (name in wanted) continue;
    problems.push(STARTUP_VARIABLES.has(name) ? `${name} is set, and runs code before the handler` : `${name} is set, and bridge does not set it`);
  }
  for (const [name, value] of Object.entries(wanted)) {
    if (!(name in liveEnvironment)) problems.push(`${name} is missing`);
    else if (value !== KNOWN_AFTER_APPLY && liveEnvironment[name] !== value) problems.push(`${name} differs from the intended value`);
  }
  return problems;
}

/** Public: everyone, or a service principal without a source condition (any account's resource could invoke). */
export function publicStatements(statements: PolicyStatement[]): string[] {
  return statements
    .filter((st) => st.Effect === 'Allow')
    .flatMap((st) => {
      if (st.Principal === '*' || awsPrincipals(st).includes('*')) return [`${describeStatement(st)} (everyone)`];
      const services = list((st.Principal as { Service?: unknown } | undefined)?.Service);
      const conditions = JSON.stringify(st.Condition ?? {});
      const scoped = /AWS:SourceArn|AWS:SourceAccount|aws:SourceArn|aws:SourceAccount|lambda:FunctionUrlAuthType/.test(conditions);
      return services.length > 0 && !scoped ? [`${describeStatement(st)} (no source condition)`] : [];
    });
}

const onFunction = (judge: (f: FunctionLive, s: AuditSnapshot) => Verdict) => whenPresent('function', (s) => s.names.functionArn, 'the function', judge);

export const lambdaControls: Control[] = [
  {
    id: 'lambda-not-public',
    title: "The function's resource policy grants nothing to everyone or without a source condition",
    severity: 'critical',
    service: 'lambda',
    frameworks: [{ framework: 'Security Hub', id: 'Lambda.1' }, { framework: 'Prowler', id: 'awslambda_function_not_publicly_accessible' }],
    remediation: 'Remove the statement (bridge audit --fix keeps only the scoped API Gateway permission).',
    source: 'src/resources/api-permission.ts',
    reads: ['function', 'api-permission'],
    fixes: ['api-permission'],
    check: onFunction((f, s) => {
      // Unlike Prowler, a service principal with a SourceArn/SourceAccount condition is not public.
      const open = publicStatements(live(s, 'api-permission')?.statements ?? []);
      return open.length === 0 ? pass(f.arn, 'not public') : fail(f.arn, open.join('; '));
    }),
  },
  {
    id: 'lambda-permission-scoped',
    title: "The only invoke permission is API Gateway for this API's prod GET /data",
    severity: 'high',
    service: 'lambda',
    frameworks: [],
    remediation: 'Put back the one scoped permission (bridge audit --fix).',
    source: 'src/resources/api-permission.ts',
    reads: ['function', 'api-permission', 'api'],
    fixes: ['api-permission'],
    check: onFunction((f, s) => {
      const changes = diffPermission(live(s, 'api-permission'), intended(s, 'api-permission'));
      if (changes.length === 0) return pass(f.arn, 'only API Gateway, only prod GET /data');
      return fail(f.arn, changes.map((c) => (c.details ? `other statements: ${c.details.map((d) => d.slice(2)).join('; ')}` : `ours is ${c.before}`)).join('; '));
    }),
  },
  {
    id: 'lambda-runtime-supported',
    title: 'The runtime is not deprecated',
    severity: 'medium',
    service: 'lambda',
    frameworks: [{ framework: 'Security Hub', id: 'Lambda.2' }, { framework: 'Prowler', id: 'awslambda_function_using_supported_runtimes' }],
    remediation: 'Move to a supported runtime (bridge audit --fix deploys the newest).',
    source: 'src/runtimes.ts',
    reads: ['function'],
    fixes: ['function'],
    check: onFunction((f, s) => {
      return runtimeSupported(f.runtime, s.now) ? pass(f.arn, `${f.runtime} is supported`) : fail(f.arn, `${f.runtime} is deprecated or unknown`);
    }),
  },
  {
    id: 'lambda-no-secrets-in-env',
    title: 'No environment variable looks like a secret',
    severity: 'critical',
    service: 'lambda',
    frameworks: [{ framework: 'Prowler', id: 'awslambda_function_no_secrets_in_variables' }],
    remediation: 'Move the secret to SSM Parameter Store (SecureString) or Secrets Manager and remove the variable (bridge audit --fix removes variables bridge did not set); rotate the exposed secret.',
    source: FN_SOURCE,
    reads: ['function'],
    fixes: ['function'],
    check: onFunction((f) => {
      const found = secretLikeVariables(f.environment);
      return found.length === 0 ? pass(f.arn, `${Object.keys(f.environment).length} variables, none secret-like`) : fail(f.arn, found.join('; '));
    }),
  },
  {
    id: 'lambda-environment-as-intended',
    title: "The function's environment holds exactly the variables the stack sets, with their values",
    severity: 'high',
    service: 'lambda',
    frameworks: [{ framework: 'Prowler', id: 'awslambda_function_no_secrets_in_variables', relation: 'related' }],
    remediation: 'Remove the variables bridge did not set and put its own back (bridge audit --fix); a variable such as NODE_OPTIONS or AWS_LAMBDA_EXEC_WRAPPER runs code before the handler, so find who added it.',
    source: FN_SOURCE,
    reads: ['function'],
    fixes: ['function'],
    check: onFunction((f, s) => {
      const wanted = intended(s, 'function').environment;
      const problems = environmentDrift(f.environment, wanted);
      return problems.length === 0 ? pass(f.arn, `the ${Object.keys(wanted).length} variables bridge sets, nothing else`) : fail(f.arn, problems.join('; '));
    }),
  },
  {
    id: 'lambda-code-integrity',
    title: "The deployed code is exactly this bridge's handler bundle",
    severity: 'high',
    service: 'lambda',
    frameworks: [],
    remediation: 'Find out who changed the code (CloudTrail UpdateFunctionCode), then deploy the bundle again (bridge audit --fix).',
    source: 'handler/index.ts',
    reads: ['function', 'bundle'],
    fixes: ['function'],
    check: onFunction((f, s) => {
      return f.codeSha256 === s.localCodeSha256
        ? pass(f.arn, `CodeSha256 ${f.codeSha256}`)
        : fail(f.arn, `deployed CodeSha256 ${f.codeSha256} is not the bundle's ${s.localCodeSha256}`);
    }),
  },
  {
    id: 'lambda-role',
    title: 'The function runs as the stack role',
    severity: 'high',
    service: 'lambda',
    frameworks: [],
    remediation: 'Set the role back (bridge audit --fix).',
    source: FN_SOURCE,
    reads: ['function'],
    fixes: ['function'],
    check: onFunction((f, s) => {
      return f.role === s.names.roleArn ? pass(f.arn, s.names.roleName) : fail(f.arn, `runs as ${f.role}`);
    }),
  },
  {
    id: 'lambda-tracing',
    title: 'X-Ray tracing is Active',
    severity: 'low',
    service: 'lambda',
    frameworks: [{ framework: 'Security Hub', id: 'Lambda.7' }, { framework: 'Prowler', id: 'awslambda_function_using_xray' }],
    remediation: 'Set tracing to Active (bridge audit --fix).',
    source: FN_SOURCE,
    reads: ['function'],
    fixes: ['function'],
    check: onFunction((f) => {
      return f.tracing === 'Active' ? pass(f.arn, 'Active') : fail(f.arn, `tracing is ${f.tracing}`);
    }),
  },
  {
    id: 'lambda-concurrency',
    title: 'Reserved concurrency is set',
    severity: 'low',
    service: 'lambda',
    frameworks: [{ framework: 'Prowler', id: 'awslambda_function_concurrency_limit' }],
    remediation: 'Set reserved concurrency to bound cost and abuse (bridge audit --fix).',
    source: FN_SOURCE,
    reads: ['function'],
    fixes: ['function'],
    check: onFunction((f, s) => {
      const want = intended(s, 'function').reservedConcurrency;
      if (f.reservedConcurrency !== null) return pass(f.arn, `${f.reservedConcurrency} (intended ${want ?? 'none'})`);
      // Not reserved is a finding whatever the reason; the reason says what would fix it.
      const unbounded = 'no reserved concurrency: a flood of calls can run it up to the account limit';
      if (want === null) return fail(f.arn, `${unbounded} (none chosen with --reserved-concurrency none)`);
      const account = f.accountConcurrency;
      if (account && !reservationFits(f, want)) {
        return fail(
          f.arn,
          `${unbounded}: the account's concurrency limit of ${account.limit} leaves no room for ${want} (Lambda keeps ${minimumUnreserved(account)} unreserved); ask for a higher quota, then run setup`,
        );
      }
      return fail(f.arn, unbounded);
    }),
  },
];
