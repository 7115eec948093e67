/**
 * Typed confirmations on a terminal (as `terraform destroy` asks for "yes"): the person types a
 * name back. Ctrl-C (readline sees it: the terminal is raw here) or Ctrl-D cancels with exit 130.
 */
import { createInterface } from 'node:readline/promises';
import { BridgeError } from './errors.js';
import { INTERRUPTED } from './interrupt.js';
import type { Io } from './output.js';

/** Whether the person typed `expected`; throws BridgeError(`cancelled`, ExitCode.interrupted) on Ctrl-C or Ctrl-D. */
export async function typedConfirmation(io: Io, question: string, expected: string, cancelled: string): Promise<boolean> {
  const prompt = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  const stopped = new Promise<never>((_, reject) => {
    const cancel = () => {
      io.stderr.write('\n');
      reject(new BridgeError(cancelled, INTERRUPTED));
    };
    prompt.once('SIGINT', cancel);
    prompt.once('close', cancel);
  });
  stopped.catch(() => {});
  try {
    const answer = await Promise.race([prompt.question(question), stopped]);
    return answer.trim() === expected;
  } finally {
    prompt.close();
  }
}
