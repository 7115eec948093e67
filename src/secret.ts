import { randomBytes, timingSafeEqual } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A secret value (the source API key) that cannot print itself: string conversion, JSON and
 * util.inspect all give "[redacted]". Only `reveal()` hands out the value, at the one place that
 * sends it to AWS.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  /** Constant-time comparison, so a check against the stored value leaks nothing by timing. */
  equals(other: string): boolean {
    const a = Buffer.from(this.#value);
    const b = Buffer.from(other);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/** Writes a secret file with mode 0600 from the first byte: a temp file beside it, then a rename. */
export function writeSecretFile(path: string, text: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  writeFileSync(temp, text, { mode: 0o600, flag: 'wx' });
  renameSync(temp, path);
}
