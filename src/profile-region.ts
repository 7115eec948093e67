/**
 * The region as the AWS CLI finds it when neither --region nor AWS_REGION/AWS_DEFAULT_REGION is
 * given: the `region` of the profile in the shared config file (SSO profiles too), read with the
 * SDK's own loader so AWS_CONFIG_FILE and `[profile NAME]` sections mean what they mean there.
 */
import { loadSharedConfigFiles } from '@smithy/core/config';

export async function profileRegion(profile: string | undefined, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const name = profile || env.AWS_PROFILE || 'default';
  try {
    const { configFile, credentialsFile } = await loadSharedConfigFiles({
      ignoreCache: true,
      ...(env.AWS_CONFIG_FILE ? { configFilepath: env.AWS_CONFIG_FILE } : {}),
      ...(env.AWS_SHARED_CREDENTIALS_FILE ? { filepath: env.AWS_SHARED_CREDENTIALS_FILE } : {}),
    });
    return configFile[name]?.region || credentialsFile[name]?.region || undefined;
  } catch {
    // An unreadable config file gives no region, as it gives the SDK none.
    return undefined;
  }
}
