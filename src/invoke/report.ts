/** Lambda's log tail and REPORT line, read for people. Pure. */

export interface Report {
  requestId: string;
  durationMs: number;
  billedMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  initDurationMs?: number;
}

/** Parses the REPORT line Lambda writes after each invocation. */
export function parseReport(logTail: string): Report | null {
  const line = logTail.split('\n').find((l) => l.startsWith('REPORT RequestId:'));
  if (!line) return null;
  const number = (label: string) => {
    const match = new RegExp(`${label}: ([\\d.]+)`).exec(line);
    return match ? Number(match[1]) : undefined;
  };
  const report: Report = {
    requestId: /RequestId: (\S+)/.exec(line)?.[1] ?? '',
    durationMs: number('Duration') ?? 0,
    billedMs: number('Billed Duration') ?? 0,
    memorySizeMb: number('Memory Size') ?? 0,
    maxMemoryUsedMb: number('Max Memory Used') ?? 0,
  };
  const init = number('Init Duration');
  if (init !== undefined) report.initDurationMs = init;
  return report;
}

export function describeReport(report: Report): string {
  const init = report.initDurationMs !== undefined ? `, init ${report.initDurationMs.toFixed(2)} ms (cold start)` : '';
  return `Duration ${report.durationMs.toFixed(2)} ms (billed ${report.billedMs} ms), memory ${report.maxMemoryUsedMb} of ${report.memorySizeMb} MB used${init}`;
}

/** Lambda's LogResult: the last 4 KB of the invocation's log, base64. */
export function decodeLogResult(logResult: string | undefined): string {
  return logResult ? Buffer.from(logResult, 'base64').toString('utf8') : '';
}

/** What Lambda would return as LogResult: the last 4 KB. */
export function lastBytes(text: string, bytes = 4096): string {
  const buffer = Buffer.from(text, 'utf8');
  return buffer.length <= bytes ? text : buffer.subarray(buffer.length - bytes).toString('utf8');
}
