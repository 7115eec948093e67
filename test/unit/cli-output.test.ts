/** What every command shares in its output: colour by the environment, --json errors, and results that do not repeat the progress lines. */
import { PassThrough, Readable } from 'node:stream';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { Ui, type Io } from '../../src/output.js';
import { renderPlan } from '../../src/render/plan.js';
import { renderTeardown } from '../../src/render/teardown.js';

function io(env: NodeJS.ProcessEnv = {}, tty = false): Io & { out: () => string; errText: () => string } {
  const stdout = Object.assign(new PassThrough(), { isTTY: tty });
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c));
  stderr.on('data', (c: Buffer) => (err += c));
  return { stdout, stderr, stdin: Readable.from([]), env, out: () => out, errText: () => err };
}

describe('colour', () => {
  const level = (env: NodeJS.ProcessEnv, tty: boolean, color = true) => new Ui(io(env, tty), { json: false, color, verbose: false }).chalk.level;
  it('on a terminal unless NO_COLOR or TERM=dumb; FORCE_COLOR colours a pipe and wins over NO_COLOR; --no-color wins over all', () => {
    expect(level({}, true)).toBe(1);
    expect(level({}, false)).toBe(0);
    expect(level({ NO_COLOR: '1' }, true)).toBe(0);
    expect(level({ TERM: 'dumb' }, true)).toBe(0);
    expect(level({ FORCE_COLOR: '1' }, false)).toBe(1);
    expect(level({ FORCE_COLOR: '3', NO_COLOR: '1' }, false)).toBe(3);
    expect(level({ FORCE_COLOR: '0' }, true)).toBe(1);
    expect(level({ FORCE_COLOR: '0' }, false)).toBe(0);
    expect(level({ FORCE_COLOR: '1' }, true, false)).toBe(0);
  });
});

describe('an error under --json', () => {
  it('is a JSON object on stdout as well as the line on stderr', async () => {
    const bad = io();
    const code = await main(['node', 'bridge', 'setup', '--stack', 'BAD NAME', '--region', 'eu-west-1', '--json'], bad);
    expect(code).toBe(2);
    expect(JSON.parse(bad.out())).toEqual({ error: { code: 'usage', message: expect.stringMatching(/^invalid stack name 'BAD NAME'/), exitCode: 2 } });
    expect(bad.errText()).toMatch(/^error: invalid stack name 'BAD NAME'/m);
  });

  it('for an option commander refuses too', async () => {
    const bad = io();
    const code = await main(['node', 'bridge', 'audit', '--no-such-option', '--json'], bad);
    expect(code).toBe(2);
    expect(JSON.parse(bad.out())).toMatchObject({ error: { code: 'usage', exitCode: 2, message: expect.stringContaining("unknown option '--no-such-option'") } });
  });

  it('and nothing on stdout without --json', async () => {
    const bad = io();
    expect(await main(['node', 'bridge', 'setup', '--stack', 'BAD NAME'], bad)).toBe(2);
    expect(bad.out()).toBe('');
  });
});

describe('results on the screen that showed the progress', () => {
  const chalk = new Chalk({ level: 0 });
  const meta = { stack: 's', region: 'eu-west-1', account: '111122223333', dryRun: false };
  const change = (action: 'create' | 'update' | 'noop', title: string) => ({ resource: title, title, name: `${title}-name`, action, changes: action === 'noop' ? [] : [{ field: 'f' }] });
  const result = { changes: [change('create', 'bucket'), change('noop', 'key')], resources: {} };

  it("setup lists each change once: not again after the progress lines, nor the stack's heading", () => {
    const alone = renderPlan(meta, result, chalk);
    expect(alone[0]).toBe('Stack s in eu-west-1 (account 111122223333)');
    expect(alone.filter((l) => l.includes('bucket-name'))).toHaveLength(1);
    const shared = renderPlan(meta, result, chalk, { heading: false, appliedShown: true });
    expect(shared.some((l) => l.includes('bucket-name') || l.startsWith('Stack '))).toBe(false);
    expect(shared).toContain('Done: 1 created, 0 updated, 1 unchanged.');
  });

  it('a dry run lists unchanged resources with --verbose only', () => {
    const plan = { ...meta, dryRun: true };
    expect(renderPlan(plan, result, chalk).some((l) => l.includes('key-name'))).toBe(false);
    expect(renderPlan(plan, result, chalk, { verbose: true }).some((l) => l.includes('key-name'))).toBe(true);
  });

  it('teardown does not list again what it showed removed', () => {
    const json = { stack: 's', region: 'eu-west-1', account: '111122223333', dryRun: false, removed: [{ resource: 'function', name: 'fn' }], retained: [{ resource: 'bucket', name: 'b', reason: 'holds data' }], absent: [] };
    const lines = renderTeardown(json, (k) => k, chalk, { heading: false, removedShown: true });
    expect(lines).toEqual(['= bucket   b   retained: holds data', '', 'Removed 1, retained 1, already gone 0.']);
  });
});

describe("each command's help", () => {
  const help = async (command: string) => {
    const out = io();
    await main(['node', 'bridge', command, '--help'], out);
    return out.out();
  };
  it.each(['setup', 'audit', 'teardown', 'invoke', 'status', 'logs', 'local', 'demo'])('%s lists the global options, examples, exit codes and the environment it reads', async (command) => {
    const text = await help(command);
    expect(text).toContain('Global Options:');
    expect(text).toMatch(/--stack <name>/);
    expect(text).toMatch(/\nExamples:\n {2}bridge /);
    expect(text).toMatch(/\nExit codes: 0 /);
    for (const name of ['AWS_REGION', 'AWS_PROFILE', 'NO_COLOR', 'FORCE_COLOR', 'CI']) expect(text).toContain(name);
  });
});
