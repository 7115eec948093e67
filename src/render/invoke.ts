/** One invocation for people: what ran where, what it stored and what S3 says of it, the log tail. Pure. */
import type { ChalkInstance } from 'chalk';
import type { StoredObject } from '../../handler/core.js';
import type { Invocation } from '../invoke/invocation.js';
import { describeReport, parseReport } from '../invoke/report.js';

export interface InvocationView {
  functionName: string;
  invocation: Invocation;
  /** What the function's result says it stored (none when it failed). */
  object: StoredObject | null;
  /** What S3 says about that object, when it could be asked. */
  evidence: { kmsKey?: string; checksumMatches?: boolean } | null;
  tail: boolean;
}

export function invocationLines(view: InvocationView, c: ChalkInstance): string[] {
  const { functionName, invocation, object, evidence } = view;
  const report = parseReport(invocation.logTail);
  const where = invocation.where === 'local' ? 'locally' : 'on Lambda';
  const took = report ? ` in ${report.durationMs.toFixed(0)} ms` : '';
  const lines: string[] = [];
  if (invocation.functionError) {
    lines.push(`${c.red('x')} ${functionName} failed ${where}${took}.`);
  } else if (object) {
    lines.push(`${c.green('✓')} ${functionName} ran ${where}${took} and stored the source's answer:`);
    lines.push(`  object   s3://${object.bucket}/${object.key}`);
    lines.push(`  version  ${object.versionId || '(none)'}`);
    const verified = evidence?.checksumMatches === true ? c.green(' (S3 holds the same SHA-256)') : evidence?.checksumMatches === false ? c.red(' (S3 holds a different SHA-256!)') : '';
    lines.push(`  sha256   ${object.sha256}${verified}`);
    lines.push(`  bytes    ${object.bytes}`);
    if (evidence?.kmsKey) lines.push(`  KMS key  ${evidence.kmsKey}`);
  } else {
    lines.push(`${c.green('✓')} ${functionName} ran ${where}${took}:`);
    lines.push(`  ${JSON.stringify(invocation.payload)}`);
  }
  if (view.tail) {
    lines.push('', c.bold('Log tail:'));
    for (const line of invocation.logTail.trimEnd().split('\n')) lines.push(`  ${line}`);
    if (report) lines.push(c.dim(describeReport(report)));
  }
  return lines;
}
