// Writes the access table (src/access/table.ts) into README.md between its markers.
// Usage: npm run docs (builds first). The unit tests fail when the README's copy is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ACCESS_TABLE_BEGIN, ACCESS_TABLE_END, renderAccessMarkdown } from '../dist/src/access/render.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const text = readFileSync(readme, 'utf8');
const start = text.indexOf(ACCESS_TABLE_BEGIN);
const end = text.indexOf(ACCESS_TABLE_END);
if (start < 0 || end < start) throw new Error('README.md has no access-table markers');
writeFileSync(readme, text.slice(0, start) + renderAccessMarkdown() + text.slice(end + ACCESS_TABLE_END.length));
console.log('README.md: access table written');
