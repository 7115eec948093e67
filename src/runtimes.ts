/**
 * Lambda's Node.js and Python runtimes and when AWS deprecates them (docs.aws.amazon.com/lambda/
 * latest/dg/lambda-runtimes.html). Setup deploys the newest Node.js; the audit flags a function on
 * a deprecated one (a function built by hand, as the console tutorial does, is often Python).
 */
export interface RuntimeSupport {
  id: string;
  /** The day AWS stops patching it (ISO date). */
  deprecated: string;
}

export const NODE_RUNTIMES: readonly RuntimeSupport[] = [
  { id: 'nodejs24.x', deprecated: '2028-04-30' },
  { id: 'nodejs22.x', deprecated: '2027-04-30' },
  { id: 'nodejs20.x', deprecated: '2026-04-30' },
  { id: 'nodejs18.x', deprecated: '2025-09-01' },
  { id: 'nodejs16.x', deprecated: '2024-06-12' },
];

export const PYTHON_RUNTIMES: readonly RuntimeSupport[] = [
  { id: 'python3.14', deprecated: '2029-06-30' },
  { id: 'python3.13', deprecated: '2029-06-30' },
  { id: 'python3.12', deprecated: '2028-10-31' },
  { id: 'python3.11', deprecated: '2026-06-30' },
  { id: 'python3.10', deprecated: '2026-06-30' },
  { id: 'python3.9', deprecated: '2025-12-15' },
  { id: 'python3.8', deprecated: '2024-10-14' },
];

export const DEFAULT_RUNTIME = 'nodejs24.x';

/** Supported on `at` when known and not past its deprecation date. */
export function runtimeSupported(runtime: string, at: Date = new Date()): boolean {
  const known = [...NODE_RUNTIMES, ...PYTHON_RUNTIMES].find((r) => r.id === runtime);
  return known !== undefined && at.toISOString().slice(0, 10) < known.deprecated;
}
