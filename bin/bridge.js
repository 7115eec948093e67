#!/usr/bin/env node
// The installed command: everything lives in the built CLI (npm run build), bundled into
// dist/bundle/ so that start-up reads a few files, not the AWS SDK's hundreds.
import { existsSync } from 'node:fs';
import module from 'node:module';

const cli = new URL('../dist/bundle/cli.js', import.meta.url);
if (!existsSync(cli)) {
  // A clone that was never built (npm ci builds it, through the prepare script): say what to run.
  process.stderr.write("error: bridge is not built (dist/bundle/cli.js is missing): run 'npm ci' in bridge's folder (or 'npm run build' after changing its sources), then run the command again\n");
  process.exit(1);
}
// bridge pins its AWS SDK versions (see package.json); the SDK's warning that versions published
// after January 2027 need Node 22 is for bridge's maintainers, not for each user's terminal.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Node 22.1+ keeps the compiled bundle in a cache (in the temp folder) for the next run, as
// TypeScript's tsc does; without it (Node 20), or where the cache cannot be written, nothing changes.
try {
  module.enableCompileCache?.();
} catch {
  // A start-up aid only.
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv);
