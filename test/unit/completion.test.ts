/**
 * Shell completion, run in the real shells (bash, zsh under a pseudo-terminal, fish): words typed
 * halfway come back whole. .ci/run installs zsh and fish; on a machine without one its test is skipped.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';

async function script(shell: string): Promise<string> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => (out += c));
  const code = await main(['node', 'bridge', 'completion', shell], { stdout, stderr: new PassThrough(), stdin: Readable.from([]), env: {} });
  expect(code).toBe(0);
  const file = join(mkdtempSync(join(tmpdir(), 'bridge-completion-')), `bridge.${shell}`);
  writeFileSync(file, out);
  return file;
}

const has = (shell: string) => {
  if (existsSync(`/usr/bin/${shell}`)) return true;
  if (process.env.CI) throw new Error(`/usr/bin/${shell} is missing: .ci/run installs zsh and fish for the completion tests`);
  return false;
};

describe('shell completion', () => {
  it('bash: commands, their options, and the values an option takes', async () => {
    const file = await script('bash');
    const complete = (...typed: string[]) =>
      execFileSync('bash', ['--norc', '-c', `source ${file}; COMP_WORDS=(bridge ${typed.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${typed.length}; _bridge; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' }).trim().split('\n');
    expect(complete('aud')).toEqual(['audit']);
    expect(complete('audit', '--format', 's')).toEqual(['sarif']);
    expect(complete('--region', 'eu-west-1', 'setup', '--dry')).toEqual(['--dry-run']);
    expect(complete('setup', '--noncurrent')).toEqual(['--noncurrent-version-days']);
    expect(complete('completion', 'f')).toEqual(['fish']);
    // A global option, under any command; an alias as its command; a path option takes file names.
    expect(complete('logs', '--reg')).toEqual(['--region']);
    expect(complete('outputs', '--js')).toEqual(['--json']);
    expect(complete('audit', '--mutelist', file.slice(0, -3))).toEqual([file]);
  });

  it.skipIf(!has('fish'))('fish: the same, through its own complete -C', async () => {
    const file = await script('fish');
    const complete = (line: string) => execFileSync('fish', ['--no-config', '-c', `source ${file}; complete -C '${line}'`], { encoding: 'utf8' }).trim().split('\n').map((l) => l.split('\t')[0]);
    expect(complete('bridge aud')).toEqual(['audit']);
    expect(complete('bridge audit --format s')).toEqual(['sarif']);
    expect(complete('bridge setup --dry')).toEqual(['--dry-run']);
    expect(complete('bridge teardown --delete')).toEqual(['--delete-data']);
    expect(complete(`bridge --config ${file.slice(0, -3)}`)).toEqual([file]);
  });

  it.skipIf(!has('zsh'))('zsh: typed with Tab in an interactive zsh, the command line that runs is whole', async () => {
    const file = await script('zsh');
    // An interactive zsh on a pseudo-terminal (zpty), with compinit; `bridge` there only prints its
    // arguments. Each step waits for what the shell prints (zpty -r with a pattern), not for a fixed
    // time: compinit under a loaded machine takes seconds. RE''ADY and the quoted ARGS are echoed
    // as typed, so only the shell's own output matches.
    const driver = [
      'zmodload zsh/zpty',
      "zpty z 'zsh -f -i'",
      `zpty -w z 'PS1="%% "; autoload -U compinit; compinit -u -D; source ${file}; bridge() { print -r -- "AR""GS:[$*]" }; print RE""ADY'`,
      "zpty -r z ready '*READY*'",
      "zpty -wn z 'bridge aud'$'\\t''--for'$'\\t''sa'$'\\t'$'\\n'",
      "zpty -r z out '*ARGS:\\[*\\]*'",
      'print -r -- $out',
      'zpty -d z',
    ].join('\n');
    const out = execFileSync('zsh', ['-f', '-c', driver], { encoding: 'utf8', timeout: 20_000 });
    expect(out).toContain('ARGS:[audit --format sarif]');
  }, 30_000);
});
