import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The CDK tests share their worker's modules (`isolate: false`): each test/cdk file imported
 * aws-cdk-lib and lib/ afresh (3.5 to 5 s a file on a busy machine) and paid a cold process's first
 * synth. They only synthesize stacks: no file sets an environment variable or mocks a module, and a
 * stack holds its own state. The folder alone, at a load of 7 to 10: 228 and 234 s of wall time
 * before, 100 and 89 s after. Keep it that way: a CDK test that must set the environment or mock
 * belongs in another folder (test/unit/cdk-shared-modules.test.ts checks it).
 */
const CDK_TESTS = 'test/cdk/**/*.test.ts';

/** What both projects share; the run-wide settings (workers, global setup, reporters) are below. */
const common = {
  // Generous: the machine is shared and two cores; a slow run must not read as a failure.
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks',
  env: { LOG_LEVEL: 'WARN', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
} as const;

export default defineConfig({
  test: {
    // Runs once for the whole run, both projects (a project's own would start a second DynamoDB Local).
    globalSetup: ['test/global-setup.ts'],
    // Two cores: a few files at a time keep DynamoDB Local responsive.
    maxWorkers: 3,
    reporters: ['default'],
    projects: [
      {
        test: {
          ...common,
          name: 'cdk',
          include: [CDK_TESTS],
          isolate: false,
        },
      },
      {
        test: {
          ...common,
          name: 'main',
          include: ['test/**/*.test.ts'],
          // The client's chaos soak takes minutes: `npm run soak` (CLIENT_SOAK=1), not `npm test`.
          exclude: [
            ...configDefaults.exclude,
            CDK_TESTS,
            ...(process.env.CLIENT_SOAK ? [] : ['test/client/soak.test.ts']),
          ],
        },
      },
    ],
  },
});
