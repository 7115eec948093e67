/**
 * Before anything else touches AWS: who are we, and does the endpoint answer? Both failures are
 * input problems (exit 2) with the fix in the message.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { maxAttempts, type AwsSettings } from './aws.js';
import { CliRetryStrategy } from './retry.js';
import { UsageError } from './errors.js';
import { partitionOf } from './names.js';

/** The commercial regions every account has; every region launched since March 2019 is opt-in. */
const ENABLED_BY_DEFAULT = new Set([
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'sa-east-1',
  'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1', 'eu-north-1',
  'ap-south-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-southeast-1', 'ap-southeast-2',
]);

export function isOptInRegion(region: string): boolean {
  return partitionOf(region) === 'aws' && !ENABLED_BY_DEFAULT.has(region);
}

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
  if (['InvalidClientTokenId', 'UnrecognizedClientException'].includes(name) && isOptInRegion(settings.region)) {
    // A region that is not enabled for the account answers exactly as for a bad token.
    return new UsageError(
      `AWS rejected the credentials in ${settings.region} (${name}): ${settings.region} is an opt-in region; if it is not enabled for this account, enable it (aws account enable-region --region-name ${settings.region}) or choose another --region, else refresh the credentials`,
    );
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
    // Quick to fail when nobody answers, yet through a passing burst of throttling.
    retryStrategy: new CliRetryStrategy(Math.min(4, maxAttempts(settings))),
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
