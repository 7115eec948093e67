/**
 * Where output goes: results on stdout (or the --json document alone there), progress and
 * messages on stderr. Every line passes a redactor, so a secret that reached an error message
 * from anywhere is still never printed.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { Ora } from 'ora';

/** ora, loaded only for a run that will show a spinner (it costs start-up time otherwise). */
let makeSpinner: typeof import('ora').default | null = null;

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface UiOptions {
  json: boolean;
  color: boolean;
  verbose: boolean;
  /** No progress lines: results and errors only. */
  quiet?: boolean;
}

export class Ui {
  readonly chalk: ChalkInstance;
  readonly #secrets = new Set<string>();
  #spinner: Ora | null = null;

  constructor(
    readonly io: Io,
    readonly options: UiOptions,
  ) {
    // chalk does not honour NO_COLOR by itself; colour also needs a terminal. FORCE_COLOR (1, 2, 3)
    // colours a pipe (a CI log) and wins over NO_COLOR, as in Node itself; --no-color wins over both.
    const force = io.env.FORCE_COLOR;
    const forced = force !== undefined && force !== '' && force !== '0' && force !== 'false';
    const colour = options.color && (forced || (!io.env.NO_COLOR && io.stdout.isTTY === true && io.env.TERM !== 'dumb'));
    const level = forced && (force === '2' || force === '3') ? Number(force) : 1;
    this.chalk = new Chalk({ level: colour ? (level as 1 | 2 | 3) : 0 });
  }

  /**
   * Progress lines (stderr) and results (stdout) on one terminal: a result then leaves out what
   * the progress lines already showed (the stack's heading, each resource applied).
   */
  get sameScreen(): boolean {
    return !this.options.quiet && !this.options.json && this.io.stdout.isTTY === true && this.io.stderr.isTTY === true;
  }

  /** Any value registered here is replaced by [redacted] in every line printed afterwards. */
  redact(secret: string): void {
    if (secret.length >= 4) this.#secrets.add(secret);
  }

  clean(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join('[redacted]');
    return out;
  }

  /** A result line (stdout). Suppressed under --json, where stdout holds the JSON alone. */
  out(line = ''): void {
    if (!this.options.json) this.io.stdout.write(`${this.clean(line)}\n`);
  }

  json(document: unknown): void {
    this.io.stdout.write(`${this.clean(JSON.stringify(document, null, 2))}\n`);
  }

  /** One JSON object on one line (a stream of them: `bridge logs --json`, as JSON Lines). */
  jsonLine(document: unknown): void {
    this.io.stdout.write(`${this.clean(JSON.stringify(document))}\n`);
  }

  /** A message for people (stderr). */
  err(line: string): void {
    this.#pauseSpinner(() => this.io.stderr.write(`${this.clean(line)}\n`));
  }

  /** A progress line (stderr), left out under --quiet. */
  progress(line: string): void {
    if (!this.options.quiet) this.err(line);
  }

  verbose(line: string): void {
    if (this.options.verbose) this.err(this.chalk.dim(line));
  }

  /** A spinner only on a real terminal that reports its width (ora spins forever at 0 columns), never in CI. */
  spinnerAllowed(): boolean {
    const stderr = this.io.stderr;
    return stderr.isTTY === true && (stderr.columns ?? 0) > 0 && !this.io.env.CI;
  }

  /** Loads the spinner for a command about to run, where one will show. */
  async prepare(): Promise<void> {
    if (this.spinnerAllowed() && !this.options.quiet && !makeSpinner) makeSpinner = (await import('ora')).default;
  }

  /** Shows what is in flight; a no-op without a terminal, where finished lines are enough. */
  working(text: string): void {
    if (!this.spinnerAllowed() || this.options.quiet || !makeSpinner) return;
    if (!this.#spinner) {
      this.#spinner = makeSpinner({ stream: this.io.stderr, text: this.clean(text), isEnabled: true, discardStdin: false }).start();
    } else {
      this.#spinner.text = this.clean(text);
    }
  }

  idle(): void {
    this.#spinner?.stop();
    this.#spinner = null;
  }

  #pauseSpinner(write: () => void): void {
    if (!this.#spinner) return write();
    const text = this.#spinner.text;
    this.#spinner.stop();
    write();
    this.#spinner.start(text);
  }
}
