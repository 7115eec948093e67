/** `bridge local`: the local AWS in the foreground, with the environment to use from another shell. */
import { ExitCode, UsageError } from '../errors.js';
import { startLocalAws, type LocalAws } from '../local/moto.js';
import { untilInterrupted } from '../interrupt.js';
import type { Ui } from '../output.js';

/** Dummy credentials: the local AWS accepts any. */
export const LOCAL_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };
export const LOCAL_REGION = 'us-east-1';

export function localEnvironment(endpoint: string): Record<string, string> {
  return { AWS_ENDPOINT_URL: endpoint, AWS_REGION: LOCAL_REGION, ...LOCAL_CREDENTIALS };
}

/** Points this process's SDK clients at the local AWS, and nowhere else. */
export function useLocalAws(endpoint: string, env: NodeJS.ProcessEnv = process.env): void {
  Object.assign(env, localEnvironment(endpoint));
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;
  delete env.AWS_DEFAULT_REGION;
}

export function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1024 || port > 65535) throw new UsageError(`invalid --port '${value}': give a number from 1024 to 65535`);
  return port;
}

export async function runLocal(options: { port?: string }, ui: Ui): Promise<number> {
  const port = parsePort(options.port);
  let local: LocalAws;
  try {
    local = await startLocalAws(port ? { port } : {});
  } catch (error) {
    throw error instanceof Error && /EADDRINUSE|address already in use/i.test(error.message)
      ? new UsageError(`port ${port} is in use: choose another --port or leave it out for a free one`)
      : error;
  }
  const exports = Object.entries(localEnvironment(local.endpoint))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  ui.out(`The local AWS is running on ${local.endpoint} (moto, loopback only). Ctrl-C stops it.`);
  ui.out('Use it from another shell:');
  ui.out(`  export ${exports}`);
  ui.out('  export OWM_API_KEY=...   # any value works locally');
  ui.out('  npx bridge setup --source-url "https://api.openweathermap.org/data/2.5/weather?q=London" --source-key-env OWM_API_KEY');
  const stopped = await Promise.race([untilInterrupted(), new Promise<string>((resolve) => local.process.once('exit', () => resolve('exit')))]);
  if (stopped === 'exit') {
    ui.err('the local AWS stopped by itself');
    return ExitCode.failure;
  }
  await local.stop();
  ui.err('Stopped the local AWS.');
  return ExitCode.ok;
}
