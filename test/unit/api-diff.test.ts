import { describe, expect, it } from 'vitest';
import { diffApiKey, type ApiKeyIntended } from '../../src/resources/usage-plan-key.js';
import { diffPermission, PERMISSION_SID } from '../../src/resources/api-permission.js';
import { ACCESS_LOG_FORMAT, definitionHash, deploymentDescription, diffApi, stagePatches, type ApiIntended, type ApiLive } from '../../src/resources/api-state.js';

const uri = 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:s-ingest/invocations';
const hash = definitionHash({ authorizationType: 'AWS_IAM', apiKeyRequired: false, integrationUri: uri });
const intended: ApiIntended = {
  auth: 'aws-iam',
  authorizationType: 'AWS_IAM',
  apiKeyRequired: false,
  integrationUri: uri,
  definitionHash: hash,
  accessLog: { destinationArn: 'arn:log', format: ACCESS_LOG_FORMAT },
  loggingLevel: 'ERROR',
  rateLimit: 10,
  burstLimit: 20,
  tags: { 'bridge:stack': 's' },
};
const live: ApiLive = {
  id: 'abc',
  tags: { 'bridge:stack': 's' },
  rootResourceId: 'r',
  dataResourceId: 'd',
  method: { authorizationType: 'AWS_IAM', apiKeyRequired: false, integration: { type: 'AWS_PROXY', httpMethod: 'POST', uri } },
  stage: {
    deploymentId: 'dep',
    deploymentDescription: deploymentDescription(hash),
    tracingEnabled: true,
    accessLog: { destinationArn: 'arn:log', format: ACCESS_LOG_FORMAT },
    loggingLevel: 'ERROR',
    dataTrace: false,
    rateLimit: 10,
    burstLimit: 20,
    tags: { 'bridge:stack': 's' },
  },
};
const fields = (c: { field: string }[]) => c.map((x) => x.field);

describe('API diff', () => {
  it('is empty when in sync', () => expect(diffApi(live, intended)).toEqual([]));

  it('names the deployment by a hash of the definition: another auth, another hash', () => {
    expect(definitionHash({ authorizationType: 'NONE', apiKeyRequired: true, integrationUri: uri })).not.toBe(hash);
    expect(definitionHash({ authorizationType: 'AWS_IAM', apiKeyRequired: false, integrationUri: uri })).toBe(hash);
  });

  it('a method changed without a deployment is repaired without redeploying; a foreign deployment is replaced', () => {
    const none = { ...live, method: { ...live.method!, authorizationType: 'NONE' } };
    expect(fields(diffApi(none, intended))).toEqual(['method']);
    const foreign = { ...live, stage: { ...live.stage!, deploymentDescription: 'quick fix' } };
    expect(fields(diffApi(foreign, intended))).toEqual(['deployment']);
  });

  it('data tracing counts as drift: it would log whole requests', () => {
    expect(fields(diffApi({ ...live, stage: { ...live.stage!, dataTrace: true } }, intended))).toEqual(['execution-logging']);
  });

  it('leaves access logging alone while the account has no CloudWatch role', () => {
    const noRole = { ...intended, accessLog: null, loggingLevel: 'OFF' as const };
    const withoutLogs = { ...live, stage: { ...live.stage!, accessLog: null, loggingLevel: 'OFF' } };
    expect(diffApi(withoutLogs, noRole)).toEqual([]);
  });

  it('patches only the stage settings that differ', () => {
    expect(stagePatches(new Set(['throttling']), intended)).toEqual([
      { op: 'replace', path: '/*/*/throttling/rateLimit', value: '10' },
      { op: 'replace', path: '/*/*/throttling/burstLimit', value: '20' },
    ]);
    expect(stagePatches(new Set(['access-logging']), { ...intended, accessLog: null })).toEqual([]);
  });
});

describe('Lambda permission diff', () => {
  const sourceArn = 'arn:aws:execute-api:us-east-1:1:abc/prod/GET/data';
  const ours = {
    Sid: PERMISSION_SID,
    Effect: 'Allow' as const,
    Principal: { Service: 'apigateway.amazonaws.com' },
    Action: 'lambda:InvokeFunction',
    Resource: 'fn',
    Condition: { ArnLike: { 'AWS:SourceArn': sourceArn } },
  };
  const intendedPermission = { sourceArn, functionArn: 'fn', principal: 'apigateway.amazonaws.com' };

  it('accepts exactly the scoped statement', () => expect(diffPermission({ statements: [ours] }, intendedPermission)).toEqual([]));

  it.each([
    ['any method of the API', { ...ours, Condition: { ArnLike: { 'AWS:SourceArn': 'arn:aws:execute-api:us-east-1:1:abc/*' } } }],
    ['any API (no source)', { ...ours, Condition: undefined }],
    ['another principal', { ...ours, Principal: { Service: 'events.amazonaws.com' } }],
    ['more actions', { ...ours, Action: ['lambda:InvokeFunction', 'lambda:GetFunction'] }],
  ])('replaces ours when it allows %s', (_, statement) => {
    expect(fields(diffPermission({ statements: [statement] }, intendedPermission))).toEqual(['permission']);
  });

  it('removes any other statement', () => {
    const other = { ...ours, Sid: 'public', Principal: '*' };
    expect(diffPermission({ statements: [ours, other] }, intendedPermission)).toEqual([{ field: 'other-permissions', details: ['- public: * may lambda:InvokeFunction from arn:aws:execute-api:us-east-1:1:abc/prod/GET/data'] }]);
  });
});

describe('API key diff', () => {
  const wanted: ApiKeyIntended = { wanted: true, rateLimit: 10, burstLimit: 20, dailyQuota: 1000, stage: 'abc/prod', keyFile: null, tags: {} };
  const present = { plan: { id: 'p', rateLimit: 10, burstLimit: 20, quota: 1000, period: 'DAY', stages: ['abc/prod'] }, key: { id: 'k', enabled: true }, linked: true, fileCurrent: false };

  it('is empty when in sync; nothing to do outside api-key mode when nothing exists', () => {
    expect(diffApiKey(present, wanted)).toEqual([]);
    expect(diffApiKey(null, { ...wanted, wanted: false })).toEqual([]);
  });
  it('removes plan and key outside api-key mode', () => expect(fields(diffApiKey(present, { ...wanted, wanted: false }))).toEqual(['remove']));
  it('writes the key file only when it does not hold the value', () => {
    expect(fields(diffApiKey(present, { ...wanted, keyFile: '/tmp/k' }))).toEqual(['key-file']);
    expect(diffApiKey({ ...present, fileCurrent: true }, { ...wanted, keyFile: '/tmp/k' })).toEqual([]);
  });
  it('sees quota and throttling changed', () => {
    expect(fields(diffApiKey({ ...present, plan: { ...present.plan, quota: 5, rateLimit: 1 } }, wanted))).toEqual(['throttling', 'quota']);
  });
});
