/** `bridge local`: the local AWS in the foreground, with the environment to use from another shell. */
import { randomBytes } from 'node:crypto';
import { ExitCode, UsageError } from '../errors.js';
import { startSampleSource, type SampleSource } from '../local/sample-source.js';
import { startLocalAws, type LocalAws } from '../local/moto.js';
import { untilInterrupted } from '../interrupt.js';
import type { Ui } from '../output.js';

/** Dummy credentials: the local AWS accepts any. */
export const LOCAL_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };
export const LOCAL_REGION = 'us-east-1';

/** The environment that points the AWS SDKs and CLIs at the local AWS (AWS_DEFAULT_REGION for the AWS CLI v1 and boto3). */
export function localEnvironment(endpoint: string): Record<string, string> {
  return { AWS_ENDPOINT_URL: endpoint, AWS_REGION: LOCAL_REGION, AWS_DEFAULT_REGION: LOCAL_REGION, ...LOCAL_CREDENTIALS };
}

/** Points this process's SDK clients at the local AWS, and nowhere else. */
export function useLocalAws(endpoint: string, env: NodeJS.ProcessEnv = process.env): void {
  Object.assign(env, localEnvironment(endpoint));
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;
}

/** The stack `bridge local`'s next steps make. */
export const LOCAL_STACK = 'weather';
/** The variable the next steps keep the sample source's key in. */
const SAMPLE_KEY_ENV = 'SAMPLE_API_KEY';

/** What to run from another shell; every step succeeds against the local AWS (and, for invoke, the sample source). */
export function nextSteps(endpoint: string, sample: { url: string; key: string } | null): string[] {
  const exports = Object.entries(localEnvironment(endpoint))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const source = sample
    ? [`  export ${SAMPLE_KEY_ENV}=${sample.key}   # the sample source's key: made up here, it guards nothing`, `  bridge setup --stack ${LOCAL_STACK} --source-url "${sample.url}" --source-key-in query:appid --source-key-env ${SAMPLE_KEY_ENV} --configure-account-logging`]
    : [
        '  export OWM_API_KEY=...   # any value: setup only stores it; the function is not run below',
        `  bridge setup --stack ${LOCAL_STACK} --source-url "https://api.openweathermap.org/data/2.5/weather?q=London" --source-key-env OWM_API_KEY --configure-account-logging`,
      ];
  return [
    'Use it from another shell:',
    `  export ${exports}`,
    ...source,
    ...(sample ? [`  bridge invoke --stack ${LOCAL_STACK} --local --tail`] : []),
    `  bridge audit --stack ${LOCAL_STACK}`,
    `  bridge teardown --stack ${LOCAL_STACK} --delete-data --yes`,
    ...(sample ? [] : ['To run the function too (bridge invoke --local), start with --sample-source: a look-alike of OpenWeatherMap on 127.0.0.1.']),
  ];
}

export function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1024 || port > 65535) throw new UsageError(`invalid --port '${value}': give a number from 1024 to 65535`);
  return port;
}

export async function runLocal(options: { port?: string; sampleSource?: boolean }, ui: Ui): Promise<number> {
  const port = parsePort(options.port);
  let local: LocalAws;
  try {
    local = await startLocalAws(port ? { port } : {});
  } catch (error) {
    throw error instanceof Error && /EADDRINUSE|address already in use/i.test(error.message)
      ? new UsageError(`port ${port} is in use: choose another --port or leave it out for a free one`)
      : error;
  }
  let source: SampleSource | null = null;
  let sample: { url: string; key: string } | null = null;
  if (options.sampleSource) {
    const key = `sample-${randomBytes(8).toString('hex')}`;
    source = await startSampleSource({ apiKey: key, keyIn: { in: 'query', name: 'appid' } }).catch(async (error: unknown) => {
      await local.stop();
      throw error;
    });
    sample = { url: source.weatherUrl, key };
  }
  ui.out(`The local AWS is running on ${local.endpoint} (moto, loopback only). Ctrl-C stops it${source ? ' and the sample source' : ''}.`);
  if (source) ui.out(`The sample source (OpenWeatherMap's current weather, its key as ?appid=) is on ${source.origin}.`);
  for (const line of nextSteps(local.endpoint, sample)) ui.out(line);
  const stopped = await Promise.race([untilInterrupted(), new Promise<string>((resolve) => local.process.once('exit', () => resolve('exit')))]);
  await source?.stop();
  if (stopped === 'exit') {
    ui.err('the local AWS stopped by itself');
    return ExitCode.failure;
  }
  await local.stop();
  ui.err(`Stopped the local AWS${source ? ' and the sample source' : ''}.`);
  return ExitCode.ok;
}
