/**
 * Lambda's Node.js runtimes and when AWS deprecates them (docs.aws.amazon.com/lambda/latest/dg/
 * lambda-runtimes.html). Setup deploys the newest; audit flags a function on a deprecated one.
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

export const DEFAULT_RUNTIME = 'nodejs24.x';

/** Supported on `at` when known and not past its deprecation date. */
export function runtimeSupported(runtime: string, at: Date = new Date()): boolean {
  const known = NODE_RUNTIMES.find((r) => r.id === runtime);
  return known !== undefined && at.toISOString().slice(0, 10) < known.deprecated;
}
