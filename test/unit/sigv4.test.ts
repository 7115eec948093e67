import { describe, expect, it } from 'vitest';
import { signRequest } from '../../src/invoke/api.js';

// The AWS Signature Version 4 test suite's "get-vanilla" case, and its published signature.
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const signingDate = new Date('2015-08-30T12:36:00Z');

describe('SigV4 request building', () => {
  it("matches the AWS test suite's get-vanilla signature", async () => {
    const signed = await signRequest('https://example.amazonaws.com/', { region: 'us-east-1', service: 'service', credentials, signingDate });
    expect(signed.headers['x-amz-date']).toBe('20150830T123600Z');
    expect(signed.headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });

  it('signs for execute-api in the region, with the session token, and the query in the signature', async () => {
    const url = 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/data';
    const a = await signRequest(url, { region: 'eu-west-1', credentials: { ...credentials, sessionToken: 'token' }, signingDate });
    expect(a.headers.authorization).toMatch(/Credential=AKIDEXAMPLE\/20150830\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token,/);
    expect(a.headers['x-amz-security-token']).toBe('token');
    const b = await signRequest(`${url}?city=London`, { region: 'eu-west-1', credentials: { ...credentials, sessionToken: 'token' }, signingDate });
    expect(b.headers.authorization).not.toBe(a.headers.authorization);
  });
});
