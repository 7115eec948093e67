/** How a control's framework references read and where they are documented. Pure. */
import type { FrameworkRef } from './types.js';

/** "Security Hub S3.8", "Prowler s3_bucket_object_versioning (related)". */
export function frameworkLabel(ref: FrameworkRef): string {
  return `${ref.framework} ${ref.id}${ref.relation ? ` (${ref.relation})` : ''}`;
}

/**
 * The page that documents the referenced check, where it has one: Security Hub's control
 * reference (one page per service, an anchor per control) and Prowler Hub (a page per check).
 */
export function frameworkUri(ref: FrameworkRef): string | null {
  if (ref.framework === 'Security Hub') {
    const match = /^([A-Za-z][A-Za-z0-9]*)\.(\d+)$/.exec(ref.id);
    if (!match) return null;
    const service = (match[1] as string).toLowerCase();
    return `https://docs.aws.amazon.com/securityhub/latest/userguide/${service}-controls.html#${service}-${match[2]}`;
  }
  if (ref.framework === 'Prowler' && ref.relation === undefined) return `https://hub.prowler.com/check/${ref.id}`;
  return null;
}
