/** bridge's version, from package.json: one place to change it. */
import { readFileSync } from 'node:fs';
import { packagePath } from './paths.js';

export const VERSION = (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
