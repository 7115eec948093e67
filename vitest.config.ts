import { defineConfig } from 'vitest/config';

const env = {
  // The SDK's Node 22 notice is for maintainers (see bin/bridge.js), not for test output.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  // Never let a credential provider reach for the instance metadata service: tests stay on loopback.
  AWS_EC2_METADATA_DISABLED: 'true',
};

export default defineConfig({
  test: {
    env,
    // .ci/run runs the suite on two Node versions at once: each names its own results file.
    reporters: process.env.CI ? ['default', ['json', { outputFile: process.env.BRIDGE_TEST_RESULTS ?? 'test-results.json' }]] : ['default'],
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], env } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          env,
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/integration-env.ts'],
          // One local AWS for the run, reset between files: files must not overlap.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
