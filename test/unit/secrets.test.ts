import { describe, expect, it } from 'vitest';
import { publicStatements, secretLikeVariables } from '../../src/audit/controls/lambda.js';

describe('secret-like environment variables', () => {
  it("passes bridge's own settings: names, ARNs, paths, placements, URLs without credentials", () => {
    expect(
      secretLikeVariables({
        BRIDGE_BUCKET: 'databridge-123456789012-us-east-1',
        BRIDGE_DATA_PREFIX: 'raw/',
        API_URL: 'https://api.openweathermap.org/data/2.5/weather?q=London',
        API_KEY_PARAMETER: '/databridge/source/api-key',
        API_KEY_IN: 'query:appid',
        BRIDGE_KMS_KEY_ARN: 'arn:aws:kms:us-east-1:123456789012:key/0b7470c5-7957-4cfe-b68d-2469c8faad7d',
        LOG_LEVEL: 'info',
      }),
    ).toEqual([]);
  });

  it.each([
    [{ API_KEY: 'b6907d289e10d714a6e88b30761fae22' }, 'API_KEY holds a long hexadecimal value'],
    [{ OWM: 'b6907d289e10d714a6e88b30761fae22' }, 'OWM holds a long hexadecimal value'],
    [{ DB_PASSWORD: 'hunter2hunter2' }, 'DB_PASSWORD is named like a secret and holds a value'],
    [{ X: 'AKIAIOSFODNN7EXAMPLE' }, 'X holds an AWS access key id'],
    [{ URL: 'https://api.example.com/x?appid=abc123' }, 'URL is a URL carrying a credential (appid=)'],
    [{ URL: 'https://user:pw@api.example.com/x' }, 'URL is a URL carrying a credential'],
    [{ T: 'ghp_16C7e42F292c6912E7710c838347Ae178B4a' }, 'T holds a high-entropy value'],
    [{ K: '-----BEGIN RSA PRIVATE KEY-----\nMII...' }, 'K holds a private key'],
  ])('finds %j, naming it without its value', (env, finding) => {
    const found = secretLikeVariables(env);
    expect(found).toEqual([finding]);
    expect(found.join()).not.toContain(Object.values(env)[0]);
  });
});

describe('public function policies', () => {
  it('flags everyone and a service principal without a source condition, not a scoped one', () => {
    const scoped = { Sid: 'a', Effect: 'Allow' as const, Principal: { Service: 'apigateway.amazonaws.com' }, Action: 'lambda:InvokeFunction', Condition: { ArnLike: { 'AWS:SourceArn': 'arn:x' } } };
    expect(publicStatements([scoped])).toEqual([]);
    expect(publicStatements([{ ...scoped, Condition: undefined }])).toEqual(['a: apigateway.amazonaws.com may lambda:InvokeFunction from anywhere (no source condition)']);
    expect(publicStatements([{ ...scoped, Sid: 'b', Principal: '*', Condition: undefined }])).toHaveLength(1);
  });
});
