#!/usr/bin/env node
// The installed command: everything lives in the built CLI (npm run build).
// bridge pins its AWS SDK versions (see package.json); the SDK's warning that versions published
// after January 2027 need Node 22 is for bridge's maintainers, not for each user's terminal.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('../dist/src/cli.js');
process.exitCode = await main(process.argv);
