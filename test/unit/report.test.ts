import { describe, expect, it } from 'vitest';
import { decodeLogResult, describeReport, lastBytes, parseReport } from '../../src/invoke/report.js';
import { runtimeSupported } from '../../src/runtimes.js';
import { storedObject } from '../../src/commands/invoke.js';
import { readPayload } from '../../src/commands/options.js';
import { looksLikeEmulatorWithoutDocker } from '../../src/invoke/remote.js';

const tail = [
  'START RequestId: 6f1c Version: $LATEST',
  '{"level":"info","step":"start"}',
  'END RequestId: 6f1c',
  'REPORT RequestId: 6f1c\tDuration: 1234.56 ms\tBilled Duration: 1235 ms\tMemory Size: 256 MB\tMax Memory Used: 81 MB\tInit Duration: 301.02 ms\t',
].join('\n');

describe("Lambda's log tail", () => {
  it('reads the REPORT line', () => {
    expect(parseReport(tail)).toEqual({ requestId: '6f1c', durationMs: 1234.56, billedMs: 1235, memorySizeMb: 256, maxMemoryUsedMb: 81, initDurationMs: 301.02 });
    expect(describeReport(parseReport(tail)!)).toBe('Duration 1234.56 ms (billed 1235 ms), memory 81 of 256 MB used, init 301.02 ms (cold start)');
  });
  it('has no init duration on a warm start, and no report without the line', () => {
    expect(parseReport(tail.replace('\tInit Duration: 301.02 ms', ''))?.initDurationMs).toBeUndefined();
    expect(parseReport('START RequestId: x')).toBeNull();
  });
  it("decodes LogResult and keeps the last 4 KB, as Lambda's tail does", () => {
    expect(decodeLogResult(Buffer.from(tail).toString('base64'))).toBe(tail);
    expect(Buffer.byteLength(lastBytes('x'.repeat(10000)))).toBe(4096);
  });
  it("recognises the local AWS's Docker failure, not a function's JSON answer", () => {
    expect(looksLikeEmulatorWithoutDocker("error running docker: Error while fetching server API version")).toBe(true);
    expect(looksLikeEmulatorWithoutDocker('{"errorMessage":"docker"}')).toBe(false);
  });
});

describe('invoke input and result', () => {
  it('takes a JSON payload or @file, and refuses anything else', () => {
    expect(readPayload(undefined)).toBe('{}');
    expect(readPayload('{"a":1}')).toBe('{"a":1}');
    expect(() => readPayload('{a')).toThrow(/not valid JSON/);
    expect(() => readPayload('@/no/such/event.json')).toThrow(/cannot read \/no\/such\/event.json/);
  });
  it("reads the handler's result as the stored object", () => {
    expect(storedObject({ bucket: 'b', key: 'k', versionId: 'v', sha256: 'h', bytes: 3 })).toEqual({ bucket: 'b', key: 'k', versionId: 'v', sha256: 'h', bytes: 3 });
    expect(storedObject({ statusCode: 200 })).toBeNull();
  });
});

describe('runtimes', () => {
  it('knows which Node.js and Python runtimes are past their deprecation date', () => {
    const today = new Date('2026-11-28T00:00:00Z');
    expect(runtimeSupported('nodejs24.x', today)).toBe(true);
    expect(runtimeSupported('nodejs22.x', today)).toBe(true);
    expect(runtimeSupported('nodejs20.x', today)).toBe(false);
    expect(runtimeSupported('nodejs22.x', new Date('2027-05-01T00:00:00Z'))).toBe(false);
    // Python too (a function built by hand from the console tutorial is): by Lambda's dates.
    expect(runtimeSupported('python3.13', today)).toBe(true);
    expect(runtimeSupported('python3.11', today)).toBe(false);
    expect(runtimeSupported('python3.9', new Date('2025-12-14T00:00:00Z'))).toBe(true);
    expect(runtimeSupported('ruby3.3', today)).toBe(false);
  });
});
