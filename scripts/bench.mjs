// Benchmark: how long each command takes against the local AWS, as a user runs it (child
// processes of bin/bridge.js). Reports the median of N runs per step; asserts nothing (timings
// belong here, not in tests). Usage: npm run bench [-- RUNS]
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startLocalAws } from '../dist/src/local/moto.js';
import { startSampleSource } from '../dist/src/local/sample-source.js';

const runs = Number(process.argv[2] ?? 5);
const bin = fileURLToPath(new URL('../bin/bridge.js', import.meta.url));
const local = await startLocalAws();
const source = await startSampleSource({ apiKey: 'bench-key-0123456789' });
const env = {
  ...process.env,
  AWS_ENDPOINT_URL: local.endpoint,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  BENCH_KEY: 'bench-key-0123456789',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  CI: 'true',
};

// Asynchronous on purpose: the sample source runs in this process and must keep answering.
const run = promisify(execFile);

async function time(args) {
  const started = process.hrtime.bigint();
  try {
    await run(process.execPath, [bin, ...args], { env });
  } catch (error) {
    throw new Error(`bridge ${args.join(' ')} exited ${error.code}: ${error.stderr}`, { cause: error });
  }
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
async function step(name, fn) {
  const times = [];
  for (let i = 0; i < runs; i++) times.push(await fn(i));
  rows.push([name, median(times), Math.min(...times), Math.max(...times)]);
}

try {
  await step('setup (fresh stack)', (i) =>
    time(['setup', '--stack', `bench${i}`, '--quiet', '--source-url', source.weatherUrl, '--source-key-in', 'query:appid', '--api-key-env', 'BENCH_KEY', '--configure-account-logging']),
  );
  await step('setup (no change)', (i) => time(['setup', '--stack', `bench${i}`, '--quiet']));
  await step('setup --dry-run', (i) => time(['setup', '--stack', `bench${i}`, '--dry-run']));
  await step('invoke --local', (i) => time(['invoke', '--stack', `bench${i}`, '--local']));
  await step('audit (35 controls)', (i) => time(['audit', '--stack', `bench${i}`, '--json']));
  await step('teardown --delete-data', (i) => time(['teardown', '--stack', `bench${i}`, '--yes', '--delete-data', '--quiet']));
} finally {
  await Promise.all([local.stop(), source.stop()]);
}

console.log(`bridge against the local AWS, ${runs} runs each (ms, wall clock, including Node start-up):`);
console.log(`${'step'.padEnd(26)}${'median'.padStart(8)}${'min'.padStart(8)}${'max'.padStart(8)}`);
for (const [name, med, min, max] of rows) console.log(`${name.padEnd(26)}${med.toFixed(0).padStart(8)}${min.toFixed(0).padStart(8)}${max.toFixed(0).padStart(8)}`);
