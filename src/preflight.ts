/**
 * Before anything else touches AWS: who are we, and does the endpoint answer? Both failures are
 * input problems (exit 2) with the fix in the message.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsSettings } from './aws.js';
import { UsageError } from './errors.js';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', 'TimeoutError']);

export function explainPreflightError(error: unknown, settings: AwsSettings): UsageError | null {
  const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  const name = e?.name ?? '';
  const code = e?.code ?? e?.cause?.code ?? '';
  const message = e?.message ?? '';
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    const profile = settings.profile ? ` (profile '${settings.profile}' gave none)` : '';
    return new UsageError(
      `no AWS credentials found${profile}: set AWS_PROFILE or --profile, run 'aws sso login', or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
    );
  }
  if (NETWORK_CODES.has(code) || NETWORK_CODES.has(name) || /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|socket hang up/.test(message)) {
    const where = settings.endpoint ?? `AWS in ${settings.region}`;
    const fix = settings.endpoint ? `start the local AWS ('bridge local') or fix --endpoint-url / AWS_ENDPOINT_URL` : 'check your network';
    return new UsageError(`${where} does not answer (${code || name}): ${fix}`);
  }
  if (['InvalidClientTokenId', 'SignatureDoesNotMatch', 'ExpiredToken', 'ExpiredTokenException', 'UnrecognizedClientException'].includes(name)) {
    return new UsageError(`AWS rejected the credentials (${name}): refresh them ('aws sso login', or new access keys) and try again`);
  }
  return null;
}

/** The account id of the caller; quick to fail when there is no one to ask. */
export async function resolveAccount(settings: AwsSettings): Promise<string> {
  const sts = new STSClient({
    region: settings.region,
    ...(settings.profile ? { profile: settings.profile } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 15_000 },
  });
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    if (!identity.Account) throw new UsageError('AWS did not say which account these credentials belong to');
    return identity.Account;
  } catch (error) {
    throw explainPreflightError(error, settings) ?? error;
  } finally {
    sts.destroy();
  }
}
