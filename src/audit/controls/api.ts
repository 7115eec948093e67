import { deploymentDescription, type ApiLive } from '../../resources/api-state.js';
import { apiArns } from '../../names.js';
import type { AuditSnapshot, Control, FrameworkRef, Verdict } from '../types.js';
import { fail, intended, pass, whenPresent } from './verdicts.js';

const API_SOURCE = 'src/resources/api.ts';

type DeployedApi = ApiLive & { stage: NonNullable<ApiLive['stage']> };
const isDeployed = (api: ApiLive): api is DeployedApi => api.stage != null;

/** An API check: the live API and its stage ARN, or FAIL when there is no API (which, with no id, has no ARN: the stack's is named). */
const onApi = (judge: (found: { api: ApiLive; arn: string }, s: AuditSnapshot) => Verdict) =>
  whenPresent('api', (s) => `stack ${s.stack}`, 'the REST API', (api, s) => judge({ api, arn: apiArns(s.names, api.id).stageArn }, s));

function stageControl(
  id: string,
  title: string,
  severity: Control['severity'],
  frameworks: FrameworkRef[],
  remediation: string,
  judge: (a: DeployedApi, s: AuditSnapshot) => { ok: boolean; detail: string },
): Control {
  return {
    id,
    title,
    severity,
    service: 'api',
    frameworks,
    remediation,
    source: API_SOURCE,
    reads: ['api'],
    fixes: ['api'],
    check: onApi((found, s) => {
      const { api } = found;
      if (!isDeployed(api)) return fail(found.arn, 'stage prod is not deployed');
      const verdict = judge(api, s);
      return verdict.ok ? pass(found.arn, verdict.detail) : fail(found.arn, verdict.detail);
    }),
  };
}

export const apiControls: Control[] = [
  {
    id: 'api-auth-required',
    title: 'GET /data requires AWS_IAM or an API key (never NONE)',
    severity: 'critical',
    service: 'api',
    // No Security Hub control checks REST method authorization (APIGateway.8/.9 are for HTTP/WebSocket APIs).
    frameworks: [{ framework: 'Prowler', id: 'apigateway_restapi_authorizers_enabled' }],
    remediation: 'Set the method back to AWS_IAM (or api-key mode) and deploy (bridge audit --fix).',
    source: API_SOURCE,
    reads: ['api'],
    fixes: ['api'],
    check: onApi((found, s) => {
      const m = found.api.method;
      if (!m) return fail(found.arn, 'GET /data does not exist');
      if (m.authorizationType === 'NONE' && !m.apiKeyRequired) return fail(found.arn, 'authorization NONE without an API key: anyone can run the function');
      // What serves traffic is the deployment: one bridge did not make may differ from the definition.
      const want = intended(s, 'api');
      if (found.api.stage && found.api.stage.deploymentDescription !== deploymentDescription(want.definitionHash)) {
        return fail(found.arn, `the deployed API is not bridge's definition (deployment "${found.api.stage.deploymentDescription || 'without description'}"): what is live cannot be vouched for`);
      }
      return pass(found.arn, m.authorizationType === 'AWS_IAM' ? 'AWS_IAM (SigV4)' : 'API key required');
    }),
  },
  {
    id: 'api-integration-target',
    title: "GET /data calls the stack's function, and only it",
    severity: 'high',
    service: 'api',
    frameworks: [],
    remediation: 'Point the integration back at the function (bridge audit --fix).',
    source: API_SOURCE,
    reads: ['api'],
    fixes: ['api'],
    check: onApi((found, s) => {
      const i = found.api.method?.integration;
      const want = intended(s, 'api').integrationUri;
      return i?.type === 'AWS_PROXY' && i.uri === want ? pass(found.arn, `Lambda proxy to ${s.names.functionName}`) : fail(found.arn, `integration is ${i ? `${i.type} ${i.uri}` : 'missing'}`);
    }),
  },
  {
    ...stageControl(
      'api-access-logging',
      'The stage writes access logs to the stack log group',
      'medium',
      [{ framework: 'Prowler', id: 'apigateway_restapi_logging_enabled' }],
      "Set access logging to the stack's API log group (bridge audit --fix); it needs API Gateway's account CloudWatch role (setup --configure-account-logging).",
      (a, s) =>
        a.stage.accessLog?.destinationArn === s.names.apiLogGroupArn
          ? { ok: true, detail: `to ${s.names.apiLogGroup}` }
          : { ok: false, detail: a.stage.accessLog ? `access logs go to ${a.stage.accessLog.destinationArn}` : 'access logging is off' },
    ),
    remediationFor: (s) => `Set access logging to ${s.names.apiLogGroup} (bridge audit --fix); it needs API Gateway's account CloudWatch role (bridge setup --configure-account-logging).`,
  },
  stageControl(
    'api-execution-logging',
    'Stage execution logging is on',
    'medium',
    [{ framework: 'Security Hub', id: 'APIGateway.1' }, { framework: 'Prowler', id: 'apigateway_restapi_logging_enabled' }],
    "Set execution logging to ERROR (bridge audit --fix); it needs API Gateway's account CloudWatch role (setup --configure-account-logging).",
    (a) => (a.stage.loggingLevel === 'ERROR' || a.stage.loggingLevel === 'INFO' ? { ok: true, detail: a.stage.loggingLevel } : { ok: false, detail: `execution logging is ${a.stage.loggingLevel}` }),
  ),
  stageControl(
    'api-throttling',
    'Stage throttling is set',
    'low',
    [],
    'Set stage throttling (bridge audit --fix).',
    (a) =>
      a.stage.rateLimit && a.stage.burstLimit && a.stage.rateLimit < 10000
        ? { ok: true, detail: `${a.stage.rateLimit}/s, burst ${a.stage.burstLimit}` }
        : { ok: false, detail: `throttling is ${a.stage.rateLimit ?? 'unset'}/s burst ${a.stage.burstLimit ?? 'unset'} (the account default)` },
  ),
  stageControl(
    'api-tracing',
    'X-Ray tracing is on',
    'low',
    [{ framework: 'Security Hub', id: 'APIGateway.3' }, { framework: 'Prowler', id: 'apigateway_restapi_tracing_enabled' }],
    'Turn on X-Ray tracing for stage prod (bridge audit --fix).',
    (a) => (a.stage.tracingEnabled ? { ok: true, detail: 'on' } : { ok: false, detail: 'tracing is off' }),
  ),
];
