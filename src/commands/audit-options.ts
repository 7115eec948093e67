/**
 * The light half of `bridge audit`: its options checked and its outputs routed before the SDK
 * loads. One run can write several formats (CI uploads SARIF and comments Markdown from one
 * audit): each goes to stdout, a file (--output-file [FORMAT=]PATH) or a folder (--output-dir).
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { SEVERITIES, type Severity } from '../audit/types.js';
import { validateFunctionName, validateOutputFile, type StackConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { configFrom, parseLockTimeout, type GlobalOptions, type Note } from './options.js';

export const FORMATS = ['table', 'json', 'sarif', 'markdown', 'html'] as const;
export type AuditFormat = (typeof FORMATS)[number];

/** The file each format gets in --output-dir. */
export const FILE_NAMES: Record<AuditFormat, string> = {
  table: 'bridge-audit.txt',
  json: 'bridge-audit.json',
  sarif: 'bridge-audit.sarif',
  markdown: 'bridge-audit.md',
  html: 'bridge-audit.html',
};

/** Names that are formats (bridge's, and the AWS CLI's --output values), never report files. */
const FORMAT_WORDS = new Set<string>([...FORMATS, 'text', 'yaml', 'yaml-stream', 'html', 'csv', 'md']);

export interface AuditOptions {
  format?: string;
  outputFile?: string[];
  outputDir?: string;
  /** The AWS CLI's --output: a format name, accepted as --format; a path is refused (it was a file once). */
  output?: string;
  sarifLocation?: string;
  failOn?: string;
  fix?: boolean;
  /** With --fix: show the plan and change nothing. */
  dryRun?: boolean;
  /** With --fix: apply without asking. */
  yes?: boolean;
  lockTimeout?: string;
  failuresOnly?: boolean;
  explain?: string[];
  awsChecks?: boolean;
  controls?: string;
  excludeControls?: string;
  severity?: string;
  mutelist?: string;
  /** Audit a data bridge built by hand, found from its function. */
  fromFunction?: string;
  operatorsGroup?: string;
  operatorsUser?: string;
}

const IAM_NAME = /^[\w+=,.@-]{1,128}$/;

/** --from-function and what goes with it: checked before any call. */
function checkFromFunction(options: AuditOptions): void {
  if (!options.fromFunction) {
    if (options.operatorsGroup || options.operatorsUser) throw new UsageError(`${options.operatorsGroup ? '--operators-group' : '--operators-user'} goes with --from-function NAME (a stack bridge built knows its operators)`);
    return;
  }
  validateFunctionName(options.fromFunction, '--from-function');
  for (const [flag, value] of [['--operators-group', options.operatorsGroup], ['--operators-user', options.operatorsUser]] as const) {
    if (value !== undefined && !IAM_NAME.test(value)) throw new UsageError(`invalid ${flag} '${value}': give the IAM name (not its ARN)`);
  }
  const refused = [['--fix', options.fix], ['--explain', options.explain], ['--aws-checks', options.awsChecks]].filter(([, given]) => given).map(([flag]) => flag);
  if (refused.length > 0) throw new UsageError(`${refused.join(' and ')} cannot go with --from-function: a stack bridge did not build has no intended state to put back or judge against (bridge adopt --from-function plans the move to one)`);
}

/** One report to write: a format, and a file for it (absent: stdout). */
export interface AuditOutput {
  format: AuditFormat;
  path?: string;
}

function formatsOf(value: string, flag: string): AuditFormat[] {
  const formats = value.split(',').map((f) => f.trim().toLowerCase());
  for (const format of formats) {
    if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`invalid ${flag} '${format}': use ${FORMATS.join(', ')} (several: --format sarif,markdown)`);
  }
  if (new Set(formats).size !== formats.length) throw new UsageError(`${flag} ${value} names a format twice: give each once`);
  return formats as AuditFormat[];
}

/** A report file, refused when it is a format's name (`--output-file json`, the AWS CLI habit). */
function reportFile(path: string, flag: string): string {
  if (FORMAT_WORDS.has(path.toLowerCase())) {
    throw new UsageError(`${flag} ${path}: that is a format, not a file; use --format ${path === 'text' ? 'table' : path} (and ${flag} PATH to write it to a file)`);
  }
  return validateOutputFile(path, flag);
}

/** --output-dir: an existing folder, or a new one in an existing folder. */
function reportFolder(path: string): string {
  const folder = resolve(path);
  if (existsSync(folder)) {
    if (!statSync(folder).isDirectory()) throw new UsageError(`--output-dir ${path} is a file: give a folder`);
    return folder;
  }
  // Made when the reports are written; its parent must be there and writable now.
  validateOutputFile(folder, '--output-dir');
  return folder;
}

/** Where each format goes. Pure but for checking the paths; every mistake is a usage error. */
export function routeOutputs(options: Pick<AuditOptions, 'format' | 'outputFile' | 'outputDir' | 'output'>, json: boolean): AuditOutput[] {
  let formatText = options.format;
  if (options.output !== undefined) {
    const word = options.output.toLowerCase();
    if (word === 'json' || word === 'table') {
      if (formatText && formatText !== word) throw new UsageError(`--output ${options.output} and --format ${formatText} disagree: give one of them`);
      formatText = word;
    } else {
      throw new UsageError(`--output ${options.output}: bridge takes the AWS CLI's --output json|table as the format; write a report to a file with --output-file PATH`);
    }
  }
  const formats = formatText ? formatsOf(formatText, '--format') : [json ? 'json' : 'table'] as AuditFormat[];
  if (json && !formats.includes('json')) throw new UsageError(`--json and --format ${formatText} disagree: give one of them, or add json to --format`);

  const files = new Map<AuditFormat, string>();
  for (const entry of options.outputFile ?? []) {
    const named = /^([a-z]+)=(.+)$/.exec(entry);
    if (named && (FORMATS as readonly string[]).includes(named[1] as string)) {
      const format = named[1] as AuditFormat;
      if (!formats.includes(format)) throw new UsageError(`--output-file ${entry}: ${format} is not among the formats (${formats.join(', ')}); add it to --format`);
      if (files.has(format)) throw new UsageError(`--output-file gives ${format} two files: give one`);
      files.set(format, reportFile(named[2] as string, '--output-file'));
    } else {
      if (formats.length > 1) throw new UsageError(`--output-file ${entry}: with several formats, say which goes there (--output-file sarif=${entry})`);
      if (files.has(formats[0] as AuditFormat)) throw new UsageError('--output-file is given twice for one format: give one file');
      files.set(formats[0] as AuditFormat, reportFile(entry, '--output-file'));
    }
  }
  const folder = options.outputDir ? reportFolder(options.outputDir) : undefined;
  const outputs = formats.map((format): AuditOutput => {
    const file = files.get(format);
    if (file) return { format, path: file };
    // Under --json, stdout holds the JSON report alone; the folder takes the other formats.
    if (folder && !(json && format === 'json')) return { format, path: join(folder, FILE_NAMES[format]) };
    return { format };
  });
  const toStdout = outputs.filter((o) => o.path === undefined);
  if (toStdout.length > 1) {
    throw new UsageError(`stdout can hold one report, not ${toStdout.map((o) => o.format).join(' and ')}: add --output-dir DIR, or --output-file FORMAT=PATH for all but one`);
  }
  return outputs;
}

/**
 * The repository file SARIF results point at. GitHub code scanning refuses a result without a
 * file, and a live resource has none: the config file describes the stack, so it is the natural
 * one; --sarif-location names another (the workflow that runs the audit, say).
 */
export function sarifLocation(given: string | undefined, configPath: string | undefined, cwd = process.cwd()): string | undefined {
  const candidate = given ?? configPath ?? (existsSync(join(cwd, 'bridge.config.json')) ? 'bridge.config.json' : undefined);
  if (candidate === undefined) return undefined;
  const absolute = resolve(cwd, candidate);
  if (!existsSync(absolute)) {
    throw new UsageError(`--sarif-location ${candidate} does not exist: give a file of the repository the audit runs in (e.g. .github/workflows/audit.yml)`);
  }
  const inside = relative(cwd, absolute);
  if (inside.startsWith('..') || isAbsolute(inside)) {
    throw new UsageError(`--sarif-location ${candidate} is outside this folder: run the audit at the repository's root and give a path inside it`);
  }
  return inside.split(sep).join('/');
}

export function parseFailOn(value: string | undefined): Severity {
  const failOn = (value ?? 'low') as Severity;
  if (!SEVERITIES.includes(failOn) || failOn === 'info') throw new UsageError(`invalid --fail-on '${value}': use critical, high, medium or low`);
  return failOn;
}

export interface PreparedAudit {
  config: StackConfig;
  outputs: AuditOutput[];
  failOn: Severity;
  /** The repository file SARIF results point at, when there is one. */
  sarifLocation?: string;
  lockTimeoutMs: number;
}

export async function prepareAudit(globals: GlobalOptions, options: AuditOptions, interactive: boolean, env: NodeJS.ProcessEnv, note: Note): Promise<PreparedAudit> {
  checkFromFunction(options);
  if ((options.dryRun || options.yes) && !options.fix) throw new UsageError(`${options.dryRun ? '--dry-run' : '--yes'} goes with --fix: a plain audit changes nothing`);
  if (options.fix && !options.dryRun && !options.yes && !interactive) {
    throw new UsageError('audit --fix changes the stack: without a terminal to confirm in, pass --yes (or --dry-run to see the plan); nothing was changed');
  }
  if (options.explain) {
    if (options.explain.length !== 3 || !/^[a-z0-9-]+:[A-Za-z0-9*]+$/.test(options.explain[1] as string) || !/^(arn:|\*$)/.test(options.explain[2] as string)) {
      throw new UsageError('--explain takes PRINCIPAL ACTION RESOURCE, e.g. --explain execution-role s3:GetObject arn:aws:s3:::BUCKET/raw/x.json');
    }
    return { config: await configFrom(globals, {}, env, note), outputs: [{ format: 'table' }], failOn: 'low', lockTimeoutMs: 0 };
  }
  const outputs = routeOutputs(options, globals.json === true);
  const failOn = parseFailOn(options.failOn);
  const lockTimeoutMs = parseLockTimeout(options.lockTimeout);
  const location = outputs.some((o) => o.format === 'sarif') ? sarifLocation(options.sarifLocation, globals.config) : undefined;
  if (options.sarifLocation && !outputs.some((o) => o.format === 'sarif')) throw new UsageError('--sarif-location goes with --format sarif');
  const config = await configFrom(globals, {}, env, note);
  return { config, outputs, failOn, lockTimeoutMs, ...(location ? { sarifLocation: location } : {}) };
}
