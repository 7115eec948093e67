/**
 * Ctrl-C: one line saying what the run had applied and that running it again converges, exit 130
 * (128 + SIGINT, as shells report it). Commands record what they apply as they go; nothing else is
 * needed to stop, since every step bridge takes is one a re-run reads back and converges from.
 */
import { ExitCode } from './errors.js';

export const INTERRUPTED = ExitCode.interrupted;

interface RunRecord {
  command: string;
  /** Whether the command changes anything (invoke, say, does not: Ctrl-C just stops it). */
  changes: boolean;
  /** "KMS key alias/S created", in the order applied. */
  applied: string[];
}

const current: RunRecord = { command: '', changes: false, applied: [] };

const CHANGING = new Set(['setup', 'teardown', 'audit']);

/** What Ctrl-C undoes before exiting (the stack lock a run holds), each given a few seconds. */
const cleanups = new Set<() => Promise<void>>();
const CLEANUP_WITHIN_MS = 3000;

/** Registers `cleanup` for Ctrl-C; returns the function that unregisters it once done. */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

export function startRun(command: string): void {
  current.command = command;
  current.changes = CHANGING.has(command);
  current.applied = [];
}

export function recordApplied(what: string): void {
  current.applied.push(what);
}

/** The line Ctrl-C prints (none for a command that changes nothing). Pure but for the record. */
export function interruptedLine(): string | null {
  const { command, applied } = current;
  if (!current.changes) return null;
  const again = command ? `run bridge ${command} again to converge` : 'nothing else to do';
  if (applied.length === 0) return `interrupted: nothing was changed yet; ${again}`;
  const shown = applied.length > 4 ? `${applied.slice(0, 4).join(', ')} and ${applied.length - 4} more` : applied.join(', ');
  return `interrupted: ${applied.length} change${applied.length === 1 ? '' : 's'} applied (${shown}) and kept; ${again}`;
}

/** Installs the handler for the real process (bin/bridge.js), once. */
export function exitOnInterrupt(write: (line: string) => void): void {
  process.once('SIGINT', () => {
    // A command that stops on Ctrl-C by itself (bridge local stops its local AWS first) decides.
    if (process.listenerCount('SIGINT') > 0) return;
    const line = interruptedLine();
    if (line) write(`\n${line}\n`);
    const done = Promise.allSettled([...cleanups].map((cleanup) => cleanup()));
    const late = new Promise((resolve) => setTimeout(resolve, CLEANUP_WITHIN_MS));
    void Promise.race([done, late]).then(() => process.exit(INTERRUPTED));
  });
}

export interface Interruption {
  /** Resolves with the signal's name when the user presses Ctrl-C (or the process is asked to stop). */
  signalled: Promise<string>;
  /** Stops listening. */
  cancel(): void;
}

/** Listens for Ctrl-C (SIGINT) or SIGTERM without ending the process: for runs that stop on it (bridge local, --follow). */
export function listenForInterrupt(): Interruption {
  let done: (signal: string) => void = () => {};
  const signalled = new Promise<string>((resolve) => {
    done = (signal: string) => {
      cancel();
      resolve(signal);
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
  const cancel = () => {
    process.off('SIGINT', done);
    process.off('SIGTERM', done);
  };
  return { signalled, cancel };
}

export function untilInterrupted(): Promise<string> {
  return listenForInterrupt().signalled;
}
