/** The function's log lines read for people, --since, and status's words. */
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { eventLine, isErrorLine, lineText, requestIdOf, timeText } from '../../src/logs/lines.js';
import { parseSince } from '../../src/commands/options.js';
import { ageText, driftLine, renderStatus, type StatusReport } from '../../src/render/status.js';

const RID = '5636a429-a0f1-4c1e-9a55-0c5b7d0b9b11';
const handler = (fields: Record<string, unknown>) => JSON.stringify({ level: 'info', requestId: RID, ...fields });

describe('a log line in words', () => {
  it("reads the handler's JSON steps, Lambda's runtime lines, and leaves the rest as written", () => {
    expect(lineText(handler({ step: 'store', key: 'raw/2026/12/03/a.json', bytes: 812 }))).toBe('store key=raw/2026/12/03/a.json bytes=812');
    expect(lineText(handler({ level: 'error', step: 'error', error: { type: 'SourceError', message: '401 from the source' } }))).toBe('error SourceError: 401 from the source');
    expect(lineText(`2026-12-03T17:55:52.902Z\t${RID}\tERROR\tInvoke Error \t{"errorType":"SourceError","errorMessage":"unreachable"}`)).toBe('Invoke Error SourceError: unreachable');
    expect(lineText(`2026-12-03T17:55:52.902Z\t${RID}\tINFO\thello\n`)).toBe('INFO hello');
    expect(lineText(`REPORT RequestId: ${RID}\tDuration: 1 ms\t\n`)).toBe(`REPORT RequestId: ${RID}\tDuration: 1 ms`);
    expect(lineText('{not json')).toBe('{not json');
  });

  it('tells failed runs from the rest', () => {
    expect(isErrorLine(handler({ level: 'error', step: 'fetch' }))).toBe(true);
    expect(isErrorLine(handler({ step: 'retry', reason: 'error: 503' }))).toBe(false);
    expect(isErrorLine(`2026-12-03T17:55:52.902Z ${RID} Task timed out after 30.03 seconds`)).toBe(true);
    expect(isErrorLine(`2026-12-03T17:55:52.902Z\t${RID}\tERROR\tInvoke Error \t{}`)).toBe(true);
    expect(isErrorLine(`START RequestId: ${RID} Version: $LATEST`)).toBe(false);
  });

  it('finds the request id, and prints the time short for today', () => {
    expect(requestIdOf(handler({ step: 'start' }))).toBe(RID);
    expect(requestIdOf(`END RequestId: ${RID}`)).toBe(RID);
    expect(requestIdOf(`2026-12-03T17:55:52.902Z\t${RID}\tERROR\tx`)).toBe(RID);
    const now = new Date('2026-12-03T18:00:00Z');
    expect(timeText(Date.parse('2026-12-03T09:01:02Z'), now)).toBe('09:01:02');
    expect(timeText(Date.parse('2026-12-01T09:01:02Z'), now)).toBe('2026-12-01 09:01:02');
    const event = { id: '1', timestamp: Date.parse('2026-12-03T09:01:02Z'), message: handler({ step: 'start' }) };
    expect(eventLine(event, 'function', { tty: true, now })).toBe('09:01:02  function  start');
    expect(eventLine(event, 'function', { tty: false, now })).toBe(`2026-12-03T09:01:02.000Z function ${event.message}`);
  });
});

describe('--since', () => {
  const now = Date.parse('2026-12-03T18:00:00Z');
  it('takes a duration back from now or a time', () => {
    expect(parseSince(undefined, now)).toBe(now - 600_000);
    expect(parseSince('30s', now)).toBe(now - 30_000);
    expect(parseSince('2h', now)).toBe(now - 7_200_000);
    expect(parseSince('1w', now)).toBe(now - 604_800_000);
    expect(parseSince('2026-12-03T09:00:00Z', now)).toBe(Date.parse('2026-12-03T09:00:00Z'));
  });
  it('refuses the rest, naming what it takes', () => {
    expect(() => parseSince('10 minutes', now)).toThrow(/invalid --since '10 minutes': give a duration back from now/);
    expect(() => parseSince('2027-01-01', now)).toThrow(/is in the future/);
  });
});

describe("status's words", () => {
  it('says ages and drift as people read them', () => {
    expect([ageText(42), ageText(200), ageText(5 * 3600), ageText(3 * 86_400)]).toEqual(['42 s', '3 min', '5 h', '3 days']);
    expect(driftLine({ inSync: true, resources: [], unreadable: [] })).toBe('in sync: setup would change nothing');
    expect(driftLine({ inSync: false, resources: ['S3 bucket versioning'], unreadable: ['function'] })).toBe('1 resource differs (S3 bucket versioning): bridge setup --dry-run shows how; could not read function');
  });
  it('says a stack that is not there is not there, and nothing else', () => {
    const report: StatusReport = { stack: 's', region: 'eu-west-1', account: '111122223333', readAt: '', exists: false, invokeUrl: null, apiAuth: null, resources: [], newestObject: null, lastError: null, schedule: null, drift: { inSync: true, resources: [], unreadable: [] } };
    expect(renderStatus(report, new Chalk({ level: 0 }))).toEqual(['Stack s in eu-west-1 (account 111122223333)', '', 'Nothing of stack s exists in eu-west-1: bridge setup creates it (check --region and --stack if you expected one).']);
  });
});

describe("status's schedule lines", () => {
  it('say the expression, the next run, how the last scheduled run ended and what waits in the dead-letter queue', () => {
    const report: StatusReport = {
      stack: 's', region: 'eu-west-1', account: '111122223333', readAt: '', exists: true, invokeUrl: null, apiAuth: null, resources: [],
      newestObject: null, lastError: null, drift: { inSync: true, resources: [], unreadable: [] },
      schedule: { expression: 'rate(15 minutes)', state: 'ENABLED', nextRun: '2026-12-08T10:15:00.000Z', lastRun: { at: '2026-12-08T10:00:01.000Z', requestId: 'r1', outcome: 'failed', message: 'source answered HTTP 500' }, failedRunsWaiting: 2 },
    };
    const lines = renderStatus(report, new Chalk({ level: 0 }), false);
    expect(lines).toContain('  schedule     rate(15 minutes), enabled; next run 2026-12-08T10:15:00.000Z');
    expect(lines).toContain('  last run     2026-12-08T10:00:01.000Z failed: source answered HTTP 500; 2 failed runs waiting in the dead-letter queue');
  });
});

describe('status in a narrow pane', () => {
  it('puts each ARN under its resource below 100 columns, beside it above', () => {
    const report: StatusReport = {
      stack: 's', region: 'eu-west-1', account: '111122223333', readAt: '', exists: true, invokeUrl: null, apiAuth: null,
      resources: [{ kind: 'bucket', title: 'S3 bucket', name: 's-111122223333-eu-west-1', arn: 'arn:aws:s3:::s-111122223333-eu-west-1', state: 'present' }],
      newestObject: null, lastError: null, schedule: null, drift: { inSync: true, resources: [], unreadable: [] },
    };
    const chalk = new Chalk({ level: 0 });
    expect(renderStatus(report, chalk, false, 60).slice(-2)).toEqual(['  S3 bucket  s-111122223333-eu-west-1', '    arn:aws:s3:::s-111122223333-eu-west-1']);
    expect(renderStatus(report, chalk, false, 120).at(-1)).toBe('  S3 bucket  s-111122223333-eu-west-1  arn:aws:s3:::s-111122223333-eu-west-1');
    for (const line of renderStatus(report, chalk, false, 60)) expect(line.length).toBeLessThanOrEqual(60);
  });
});
