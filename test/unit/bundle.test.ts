import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBundle, handlerFiles, zipFiles } from '../../src/bundle.js';

function handlerDir(index: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-handler-'));
  writeFileSync(join(dir, 'index.js'), index);
  writeFileSync(join(dir, 'core.js'), 'export const x = 1;\n');
  return dir;
}

describe('the deployment package', () => {
  it('is byte-identical across builds of the same source (two builds, one hash)', async () => {
    const dir = handlerDir('export const handler = async () => 1;\n');
    const first = await buildBundle(dir);
    // Touch the files: new times must not change the zip.
    await new Promise((r) => setTimeout(r, 1100));
    writeFileSync(join(dir, 'core.js'), 'export const x = 1;\n');
    const second = await buildBundle(dir);
    expect(second.codeSha256).toBe(first.codeSha256);
    expect(second.zip.equals(first.zip)).toBe(true);
  });

  it('changes its hash when the code changes', async () => {
    const a = await buildBundle(handlerDir('export const handler = async () => 1;\n'));
    const b = await buildBundle(handlerDir('export const handler = async () => 2;\n'));
    expect(a.codeSha256).not.toBe(b.codeSha256);
  });

  it('does not depend on the order files are given in', async () => {
    const files = [
      { name: 'b.js', content: Buffer.from('b') },
      { name: 'a.js', content: Buffer.from('a') },
    ];
    expect((await zipFiles(files)).equals(await zipFiles([...files].reverse()))).toBe(true);
  });

  it('holds package.json (type module), core.js and index.js, and says when the build is missing', () => {
    expect(handlerFiles(handlerDir('x')).map((f) => f.name)).toEqual(['package.json', 'core.js', 'index.js']);
    expect(() => handlerFiles(mkdtempSync(join(tmpdir(), 'empty-')))).toThrow(/not built \(core.js, index.js missing.*run npm run build/);
  });
});
