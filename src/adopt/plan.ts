/**
 * The move from a data bridge built by hand to a bridge stack, as a plan: where the source URL and
 * key come from (the old function's environment), what of the old bucket is copied where, and what
 * of the old stack is retired (each step with how to undo it). Pure: the discovered stack comes in
 * as data; nothing here reads a secret's value.
 */
import { UsageError } from '../errors.js';
import { secretLikeVariables } from '../audit/controls/lambda.js';
import type { HandBuilt } from '../audit/hand-built/discover.js';

export interface SourceChoice {
  urlVariable: string;
  url: string;
  /** Null where the old function holds no key any more (an earlier adopt --retire-old moved it to SSM). */
  keyVariable: string | null;
}

/** Which variables of the old function hold the source URL and its key (--source-url-var/--source-key-var say, else a guess that must be unambiguous). */
export function chooseSource(environment: Record<string, string>, given: { urlVariable?: string | undefined; keyVariable?: string | undefined }, keyStored = false): SourceChoice {
  const named = (variable: string, flag: string) => {
    if (!(variable in environment)) throw new UsageError(`${flag} ${variable}: the function has no such variable (it has ${Object.keys(environment).join(', ') || 'none'})`);
    return variable;
  };
  const urls = Object.keys(environment).filter((v) => /^https?:\/\//.test(environment[v] as string));
  const urlVariable = given.urlVariable ? named(given.urlVariable, '--source-url-var') : urls.length === 1 ? (urls[0] as string) : null;
  if (!urlVariable) throw new UsageError(`cannot tell which variable holds the source URL (${urls.length === 0 ? 'none holds a URL' : `${urls.join(', ')} do`}): give --source-url-var NAME`);
  const flagged = secretLikeVariables(environment).map((line) => line.split(' ')[0] as string).filter((v) => v !== urlVariable);
  const byName = flagged.filter((v) => /key|token|secret|appid/i.test(v));
  const keyVariable = given.keyVariable ? named(given.keyVariable, '--source-key-var') : flagged.length === 1 ? (flagged[0] as string) : byName.length === 1 ? (byName[0] as string) : null;
  if (!keyVariable) {
    // The stack already holds the key (a re-run after --retire-old took it out of the function).
    if (keyStored && flagged.length === 0) return { urlVariable, url: environment[urlVariable] as string, keyVariable: null };
    throw new UsageError(`cannot tell which variable holds the source API key (${flagged.length === 0 ? 'none looks like one' : `${flagged.join(', ')} may`}): give --source-key-var NAME`);
  }
  return { urlVariable, url: environment[urlVariable] as string, keyVariable };
}

/** Where an old object goes in the new bucket: under the data prefix, apart from what the function writes. */
export function adoptedKey(dataPrefix: string, oldBucket: string, key: string): string {
  return `${dataPrefix}adopted/${oldBucket}/${key}`;
}

export interface Retirement {
  /** What changes, for people. */
  step: string;
  /** The resource it changes. */
  resource: string;
  /** How to put it back (AWS allows it for every step here; the data is never touched). */
  undo: string;
  /** Machine form of the step, for the code that applies it. */
  kind: 'method-auth' | 'env-variable' | 'detach-policy' | 'bucket-statement';
  detail: Record<string, string>;
}

const statementId = (sid: string | undefined, index: number) => sid ?? `#${index + 1}`;

/**
 * What of the old stack would be retired: the API's unauthenticated methods (to AWS_IAM), the
 * plaintext key in the environment (it lives in SSM now), the role's broad policies (detached, not
 * deleted), and bucket-policy grants to a whole service. Old data is never deleted.
 */
export function retirementPlan(h: HandBuilt, source: SourceChoice, parameterName: string): Retirement[] {
  const steps: Retirement[] = [];
  for (const api of h.apis) {
    for (const m of api.methods.filter((x) => x.authorization === 'NONE' && !x.apiKeyRequired)) {
      steps.push({
        step: `require AWS_IAM on ${api.name} ${m.httpMethod} ${m.path} (open to anyone today), and redeploy its stages`,
        resource: api.arn,
        undo: `set its authorization back to NONE and redeploy (aws apigateway update-method ... op=replace,path=/authorizationType,value=NONE)`,
        kind: 'method-auth',
        detail: { restApiId: api.id, path: m.path, httpMethod: m.httpMethod },
      });
    }
  }
  if (source.keyVariable) steps.push({
    step: `remove ${source.keyVariable} (the source key, in plain text) from ${h.function.name}'s environment; the key is in SSM ${parameterName} now`,
    resource: h.function.arn,
    undo: `put the variable back from the parameter (aws ssm get-parameter --with-decryption --name ${parameterName}); bridge never prints it`,
    kind: 'env-variable',
    detail: { variable: source.keyVariable },
  });
  for (const policy of h.role?.policies ?? []) {
    if (policy.kind === 'inline') continue;
    // Broad: it reaches data beyond the one bucket, or deletes. A logging-only policy
    // (AWSLambdaBasicExecutionRole) stays: the old function keeps writing its logs.
    const broad = policy.document.Statement.some((st) => {
      const actions = [st.Action ?? []].flat().map(String);
      if (st.Effect !== 'Allow' || actions.every((a) => /^logs:/i.test(a))) return false;
      return [st.Resource ?? '*'].flat().map(String).some((r) => r === '*' || /^arn:[\w-]+:s3:::\*/.test(r)) || actions.some((a) => /^s3:Delete/i.test(a) || /:\*$|^\*$/.test(a));
    });
    if (!broad) continue;
    steps.push({
      step: `detach ${policy.kind} policy ${policy.name} from role ${h.role?.name} (it reaches beyond the one bucket, or deletes)`,
      resource: h.role?.arn as string,
      undo: `aws iam attach-role-policy --role-name ${h.role?.name} --policy-arn ${policy.arn}`,
      kind: 'detach-policy',
      detail: { role: h.role?.name as string, policyArn: policy.arn as string },
    });
  }
  for (const bucket of h.buckets) {
    (bucket.settings.policy?.Statement ?? []).forEach((st, index) => {
      const services = [(st.Principal as { Service?: unknown } | undefined)?.Service ?? []].flat();
      const scoped = /aws:SourceArn|aws:SourceAccount/i.test(JSON.stringify(st.Condition ?? {}));
      if (st.Effect !== 'Allow' || services.length === 0 || scoped) return;
      steps.push({
        step: `remove bucket-policy statement ${statementId(st.Sid, index)} of ${bucket.name} (it grants the whole ${services.join(', ')} service)`,
        resource: bucket.arn,
        undo: `put the statement back: ${JSON.stringify(st)}`,
        kind: 'bucket-statement',
        detail: { bucket: bucket.name, statement: JSON.stringify(st) },
      });
    });
  }
  return steps;
}
