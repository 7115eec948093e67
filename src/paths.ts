/** Files bridge ships beside its code (templates, the launcher, the built handler), found from the package root. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`bridge: no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

/** Works from src/ (tests) and from dist/src/ (the installed command) alike. */
export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

export const packagePath = (...parts: string[]) => join(PACKAGE_ROOT, ...parts);
