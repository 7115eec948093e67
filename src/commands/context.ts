/** Turns global options into a validated config, an account and a context: all before any change. */
import { AwsClients } from '../aws.js';
import { envSettings, loadConfigFile, mergeSettings, resolveConfig, type RawSettings, type StackConfig } from '../config.js';
import { stackNames } from '../names.js';
import { resolveAccount } from '../preflight.js';
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

export function configFrom(globals: GlobalOptions, commandSettings: RawSettings, env: NodeJS.ProcessEnv): StackConfig {
  const file = loadConfigFile(globals.config);
  const flags: RawSettings = { stack: globals.stack, region: globals.region, profile: globals.profile, endpointUrl: globals.endpointUrl, ...commandSettings };
  return resolveConfig(mergeSettings(file, envSettings(env), flags));
}

export async function stackContext(config: StackConfig, inputs: SetupInputs, onProgress: (message: string) => void = () => {}): Promise<StackContext> {
  const settings = {
    region: config.region,
    ...(config.profile ? { profile: config.profile } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
  };
  const account = await resolveAccount(settings);
  return {
    config,
    names: stackNames(config.stack, account, config.region, config.bucket),
    aws: new AwsClients(settings),
    refs: {},
    inputs,
    progress: onProgress,
    notes: [],
  };
}
