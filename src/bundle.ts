/**
 * The function's deployment package, built deterministically: fixed entry order, dates and modes,
 * so the same handler source always gives the same CodeSha256 and setup uploads only on change.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZipArchive } from 'archiver';
import { BridgeError } from './errors.js';
import { packagePath } from './paths.js';

/** The compiled handler (npm run build), whether bridge runs from dist/ or from source in tests. */
export const HANDLER_DIR = packagePath('dist', 'handler');
export const HANDLER_FILES = ['core.js', 'index.js'] as const;
/** Lambda's handler setting: index.js exports handler. */
export const LAMBDA_HANDLER = 'index.handler';

const FIXED_DATE = new Date('1980-01-01T00:00:00Z');

export interface Bundle {
  zip: Buffer;
  /** Base64 SHA-256 of the zip: what Lambda reports as CodeSha256. */
  codeSha256: string;
}

export interface BundleFile {
  name: string;
  content: Buffer;
}

export async function zipFiles(files: BundleFile[]): Promise<Buffer> {
  const archive = new ZipArchive({ zlib: { level: 9 } });
  const chunks: Buffer[] = [];
  archive.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    archive.on('end', () => resolve());
    archive.on('error', reject);
  });
  for (const file of [...files].sort((a, b) => a.name.localeCompare(b.name))) {
    archive.append(file.content, { name: file.name, date: FIXED_DATE, mode: 0o644 });
  }
  await archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function handlerFiles(dir = HANDLER_DIR): BundleFile[] {
  const missing = HANDLER_FILES.filter((name) => !existsSync(join(dir, name)));
  if (missing.length > 0) throw new BridgeError(`the function's code is not built (${missing.join(', ')} missing in ${dir}): run npm run build`);
  return [
    // The runtime loads index.js as an ES module because of this file.
    { name: 'package.json', content: Buffer.from('{"type":"module"}\n') },
    ...HANDLER_FILES.map((name) => ({ name, content: readFileSync(join(dir, name)) })),
  ];
}

export async function buildBundle(dir = HANDLER_DIR): Promise<Bundle> {
  const zip = await zipFiles(handlerFiles(dir));
  return { zip, codeSha256: createHash('sha256').update(zip).digest('base64') };
}

let cached: Promise<Bundle> | undefined;

/** One build per process. */
export function handlerBundle(): Promise<Bundle> {
  cached ??= buildBundle();
  return cached;
}
