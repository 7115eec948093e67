/**
 * `bridge demo`: the product on a local AWS, as a short guided tour, with no AWS account. Starts
 * what it needs on loopback and stops it again, also on failure or Ctrl-C (unless --keep).
 */
import { randomBytes } from 'node:crypto';
import { GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { BridgeError, ExitCode } from '../errors.js';
import { LOCAL_ACCOUNT_ID, startLocalAws, type LocalAws } from '../local/moto.js';
import { startSampleSource, type SampleSource } from '../local/sample-source.js';
import { stackNames } from '../names.js';
import type { Io, Ui } from '../output.js';
import { parsePolicy } from '../policy.js';
import { SCHEDULE_INPUT } from '../resources/schedule-state.js';
import { LOCAL_REGION, localEnvironment, useLocalAws } from './local.js';
import { listenForInterrupt, untilInterrupted } from '../interrupt.js';

export const DEMO_STACK = 'demo';
const DEMO_KEY_ENV = 'BRIDGE_DEMO_API_KEY';

type RunCli = (argv: string[], io: Io) => Promise<number>;

/** The drift a hurried console session leaves: versioning off, delete rights on the role. */
async function injectDrift(endpoint: string): Promise<void> {
  const names = stackNames(DEMO_STACK, LOCAL_ACCOUNT_ID, LOCAL_REGION);
  const s3 = new S3Client({ region: LOCAL_REGION, endpoint, forcePathStyle: true });
  const iam = new IAMClient({ region: LOCAL_REGION, endpoint });
  try {
    await s3.send(new PutBucketVersioningCommand({ Bucket: names.bucket, VersioningConfiguration: { Status: 'Suspended' } }));
    const current = await iam.send(new GetRolePolicyCommand({ RoleName: names.roleName, PolicyName: names.rolePolicyName }));
    const policy = parsePolicy(current.PolicyDocument as string);
    policy.Statement.push({ Sid: 'QuickFix', Effect: 'Allow', Action: 's3:DeleteObject', Resource: `${names.bucketArn}/*` });
    await iam.send(new PutRolePolicyCommand({ RoleName: names.roleName, PolicyName: names.rolePolicyName, PolicyDocument: JSON.stringify(policy) }));
  } finally {
    s3.destroy();
    iam.destroy();
  }
}

/** The event the schedule sends once Scheduler has filled in its context attributes. */
function scheduledEvent(): string {
  const names = stackNames(DEMO_STACK, LOCAL_ACCOUNT_ID, LOCAL_REGION);
  const now = new Date();
  now.setUTCSeconds(0, 0);
  return SCHEDULE_INPUT.replace('<aws.scheduler.schedule-arn>', names.scheduleArn)
    .replace('<aws.scheduler.scheduled-time>', now.toISOString().replace('.000Z', 'Z'))
    .replace('<aws.scheduler.execution-id>', randomBytes(8).toString('hex'))
    .replace('<aws.scheduler.attempt-number>', '1');
}

export async function runDemo(options: { keep?: boolean }, io: Io, ui: Ui, runCli: RunCli): Promise<number> {
  const started = Date.now();
  const c = ui.chalk;
  let step = 0;
  const title = (text: string) => ui.out(`\n${c.bold(`${++step}. ${text}`)}`);
  const bridge = async (args: string[], expected: number = ExitCode.ok) => {
    ui.out(c.dim(`$ bridge ${args.join(' ')}`));
    // --quiet: the tour shows results, not progress lines.
    const code = await runCli(['node', 'bridge', ...args, '--quiet', ...(ui.options.color ? [] : ['--no-color'])], io);
    if (code !== expected) throw new BridgeError(`demo step failed: bridge ${args.join(' ')} exited ${code}`);
  };

  ui.out(c.bold('bridge demo: the secure data bridge on a local AWS, no account needed'));
  title('Start the local AWS (moto) and a sample weather API, both on 127.0.0.1');
  const apiKey = `demo-${randomBytes(12).toString('hex')}`;
  const local: LocalAws = await startLocalAws();
  const source: SampleSource = await startSampleSource({ apiKey, keyIn: { in: 'query', name: 'appid' } });
  ui.out(`   local AWS   ${local.endpoint}`);
  ui.out(`   source API  ${source.weatherUrl} (OpenWeatherMap's current weather; wants its key as ?appid=)`);
  useLocalAws(local.endpoint, process.env);
  io.env = { ...io.env, ...localEnvironment(local.endpoint), [DEMO_KEY_ENV]: apiKey };
  ui.redact(apiKey);
  const interruption = listenForInterrupt();
  const interrupted = interruption.signalled.then(() => {
    throw new BridgeError('demo interrupted: the local AWS is stopped', ExitCode.interrupted);
  });
  const tour = async () => {
    title('Set up the stack: key, bucket, identities, source key, function, API, log groups, and a schedule every 15 minutes');
    await bridge([
      'setup',
      '--stack',
      DEMO_STACK,
      '--source-url',
      source.weatherUrl,
      '--source-key-in',
      'query:appid',
      '--source-key-env',
      DEMO_KEY_ENV,
      // The local AWS is a throwaway account: let setup give API Gateway its logging role.
      '--configure-account-logging',
      '--schedule',
      'rate(15 minutes)',
    ]);
    title('Run the function (here, as Lambda would): it fetches the weather and stores it, encrypted and checksummed');
    await bridge(['invoke', '--stack', DEMO_STACK, '--local', '--tail']);
    title("Run it as its schedule does (the event EventBridge Scheduler sends): a second object, which records it was a scheduled run");
    await bridge(['invoke', '--stack', DEMO_STACK, '--local', '--tail', '--payload', scheduledEvent()]);
    title('Status: where everything is, the schedule and its next run, the newest data');
    await bridge(['status', '--stack', DEMO_STACK]);
    title('Set up again: a second run changes nothing');
    await bridge(['setup', '--stack', DEMO_STACK]);
    title('Audit: every control of the stack, least privilege and encryption');
    await bridge(['audit', '--stack', DEMO_STACK]);
    title('Drift: someone suspends versioning and gives the role s3:DeleteObject; the audit catches it (exit 3)');
    await injectDrift(local.endpoint);
    await bridge(['audit', '--stack', DEMO_STACK, '--failures-only'], ExitCode.auditFailed);
    title('audit --fix puts back what failed, through the same code as setup');
    await bridge(['audit', '--stack', DEMO_STACK, '--fix', '--yes', '--failures-only']);
    if (!options.keep) {
      title('Tear down, data included: objects, logs, and the key scheduled for deletion');
      await bridge(['teardown', '--stack', DEMO_STACK, '--delete-data', '--yes', '--key-deletion-days', '7']);
    }
  };
  try {
    await Promise.race([tour(), interrupted]);
  } finally {
    interruption.cancel();
    if (!options.keep) {
      await Promise.all([local.stop(), source.stop()]);
      ui.out(c.dim('\nStopped the local AWS and the sample API.'));
    }
  }
  ui.out(`\nDemo done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  if (options.keep) {
    ui.out(`The stack and the local AWS are still running (${local.endpoint}). Continue by hand from another shell:`);
    ui.out(`  export ${Object.entries(localEnvironment(local.endpoint)).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    ui.out(`  bridge setup --stack ${DEMO_STACK} --dry-run`);
    ui.out(`  bridge invoke --stack ${DEMO_STACK} --local --tail`);
    ui.out('Ctrl-C here stops the local AWS and the sample API.');
    await untilInterrupted();
    await Promise.all([local.stop(), source.stop()]);
  }
  return ExitCode.ok;
}
