/** Turns global options into a validated config, an account and a context: all before any change. */
import { AwsClients } from '../aws.js';
import { DEFAULTS, envSettings, loadConfigFile, mergeSettings, resolveConfig, type RawSettings, type StackConfig } from '../config.js';
import { stackNames } from '../names.js';
import { resolveAccount } from '../preflight.js';
import { profileRegion } from '../profile-region.js';
import type { Ui } from '../output.js';
import type { SetupInputs, StackContext } from '../resources/types.js';

export interface GlobalOptions {
  stack?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  config?: string;
  json?: boolean;
  color?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

/**
 * Flags over the environment over bridge.config.json; the region then falls back to the profile's
 * (as the AWS CLI does), and only then to us-east-1, which `note` is told about.
 */
export async function configFrom(
  globals: GlobalOptions,
  commandSettings: RawSettings,
  env: NodeJS.ProcessEnv,
  note: (message: string) => void = () => {},
): Promise<StackConfig> {
  const file = loadConfigFile(globals.config);
  const flags: RawSettings = { stack: globals.stack, region: globals.region, profile: globals.profile, endpointUrl: globals.endpointUrl, ...commandSettings };
  const merged = mergeSettings(file, envSettings(env), flags);
  if (!merged.region) {
    merged.region = await profileRegion(merged.profile, env);
    if (!merged.region) {
      merged.region = DEFAULTS.region;
      note(`no region given (--region, AWS_REGION, AWS_DEFAULT_REGION or the profile's region): using ${DEFAULTS.region}`);
    }
  }
  return resolveConfig(merged);
}

/** `ui` hears --verbose's call log as each call is sent, so a run killed halfway still shows what it did. */
export async function stackContext(config: StackConfig, inputs: SetupInputs, ui: Ui, onProgress: (message: string) => void = () => {}): Promise<StackContext> {
  const settings = {
    region: config.region,
    ...(config.profile ? { profile: config.profile } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
  };
  const account = await resolveAccount(settings);
  const aws = new AwsClients(settings);
  aws.onCall = (call) => ui.verbose(`aws ${call.service} ${call.command}`);
  return {
    config,
    names: stackNames(config.stack, account, config.region, config.bucket),
    aws,
    refs: {},
    inputs,
    progress: onProgress,
    notes: [],
  };
}
