import { PassThrough, Readable } from 'node:stream';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Ui, type Io } from '../../src/output.js';
import { Secret } from '../../src/secret.js';

function io(env: NodeJS.ProcessEnv = {}, tty = { isTTY: true, columns: 80 }): Io & { text: () => { out: string; err: string } } {
  const stdout = Object.assign(new PassThrough(), tty);
  const stderr = Object.assign(new PassThrough(), tty);
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c));
  stderr.on('data', (c: Buffer) => (err += c));
  return { stdout, stderr, stdin: Readable.from([]), env, text: () => ({ out, err }) };
}

describe('Secret', () => {
  it('never prints itself', () => {
    const secret = new Secret('hunter2-key');
    expect(String(secret)).toBe('[redacted]');
    expect(`${secret}`).toBe('[redacted]');
    expect(JSON.stringify({ secret })).toBe('{"secret":"[redacted]"}');
    expect(inspect({ secret })).not.toContain('hunter2');
    expect(secret.reveal()).toBe('hunter2-key');
    expect(secret.equals('hunter2-key')).toBe(true);
    expect(secret.equals('hunter2-kez')).toBe(false);
  });
});

describe('Ui', () => {
  it('redacts a registered secret from every line, errors included', () => {
    const streams = io();
    const ui = new Ui(streams, { json: false, color: false, verbose: false });
    ui.redact('abcd-secret');
    ui.out('url https://x/?appid=abcd-secret');
    ui.err('error: request with abcd-secret failed');
    expect(streams.text().out).toBe('url https://x/?appid=[redacted]\n');
    expect(streams.text().err).toBe('error: request with [redacted] failed\n');
  });

  it('keeps stdout for the JSON document alone under --json', () => {
    const streams = io();
    const ui = new Ui(streams, { json: true, color: false, verbose: false });
    ui.out('a human line');
    ui.json({ a: 1 });
    expect(JSON.parse(streams.text().out)).toEqual({ a: 1 });
  });

  it('honours NO_COLOR and --no-color, colours only a terminal', () => {
    expect(new Ui(io(), { json: false, color: true, verbose: false }).chalk.level).toBeGreaterThan(0);
    expect(new Ui(io({ NO_COLOR: '1' }), { json: false, color: true, verbose: false }).chalk.level).toBe(0);
    expect(new Ui(io(), { json: false, color: false, verbose: false }).chalk.level).toBe(0);
    expect(new Ui(io({}, { isTTY: false, columns: 0 }), { json: false, color: true, verbose: false }).chalk.level).toBe(0);
  });

  it('spins only on a terminal that reports its width, never in CI', () => {
    expect(new Ui(io(), { json: false, color: true, verbose: false }).spinnerAllowed()).toBe(true);
    expect(new Ui(io({}, { isTTY: true, columns: 0 }), { json: false, color: true, verbose: false }).spinnerAllowed()).toBe(false);
    expect(new Ui(io({ CI: 'true' }), { json: false, color: true, verbose: false }).spinnerAllowed()).toBe(false);
    expect(new Ui(io({}, { isTTY: false, columns: 80 }), { json: false, color: true, verbose: false }).spinnerAllowed()).toBe(false);
  });
});
