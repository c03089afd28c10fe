import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The client's chaos soak takes minutes: `npm run soak` (CLIENT_SOAK=1), not `npm test`.
    exclude: [...configDefaults.exclude, ...(process.env.CLIENT_SOAK ? [] : ['test/client/soak.test.ts'])],
    globalSetup: ['test/global-setup.ts'],
    // Generous: the machine is shared and two cores; a slow run must not read as a failure.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: a few files at a time keep DynamoDB Local responsive.
    maxWorkers: 3,
    reporters: ['default'],
    env: { LOG_LEVEL: 'WARN', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
