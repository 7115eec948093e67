// Writes the access table (src/access/table.ts) into README.md between its markers, and the config
// file's JSON Schema (src/settings.ts) to schema/bridge.config.schema.json, and the audit report's
// (src/audit/report/json-schema.ts) to schema/audit-report.schema.json.
// Usage: npm run docs (builds first). The unit tests fail when either copy is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ACCESS_TABLE_BEGIN, ACCESS_TABLE_END, renderAccessMarkdown } from '../dist/src/access/render.js';
import { configJsonSchema } from '../dist/src/settings.js';
import { auditReportJsonSchema } from '../dist/src/audit/report/json-schema.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const text = readFileSync(readme, 'utf8');
const start = text.indexOf(ACCESS_TABLE_BEGIN);
const end = text.indexOf(ACCESS_TABLE_END);
if (start < 0 || end < start) throw new Error('README.md has no access-table markers');
writeFileSync(readme, text.slice(0, start) + renderAccessMarkdown() + text.slice(end + ACCESS_TABLE_END.length));
console.log('README.md: access table written');

const schema = fileURLToPath(new URL('../schema/bridge.config.schema.json', import.meta.url));
writeFileSync(schema, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log('schema/bridge.config.schema.json: written');

const reportSchema = fileURLToPath(new URL('../schema/audit-report.schema.json', import.meta.url));
writeFileSync(reportSchema, `${JSON.stringify(auditReportJsonSchema(), null, 2)}\n`);
console.log('schema/audit-report.schema.json: written');
