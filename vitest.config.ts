import { configDefaults, defineConfig } from 'vitest/config';
import { sharedWorkerTests } from './test/support/shared-workers.ts';

/**
 * The CDK tests share their worker's modules (`isolate: false`): each test/cdk file imported
 * aws-cdk-lib and lib/ afresh (3.5 to 5 s a file on a busy machine) and paid a cold process's first
 * synth. They only synthesize stacks: no file sets an environment variable or mocks a module, and a
 * stack holds its own state. The folder alone, at a load of 7 to 10: 228 and 234 s of wall time
 * before, 100 and 89 s after. Keep it that way: a CDK test that must set the environment or mock
 * belongs in another folder (test/unit/cdk-shared-modules.test.ts checks it).
 */
const CDK_TESTS = 'test/cdk/**/*.test.ts';

/**
 * The test files that run a test stack share their worker's node_modules too (`isolate: false`):
 * each started a process of its own and imported the AWS SDK, ws and the rest afresh, about 1 s of
 * CPU a file (20 e2e files, medians of 3 runs: 70.2 s of CPU before, 50.8 s after). Unlike the CDK
 * tests they change the process (the local stack sets the handlers' environment; the handlers cache
 * their configuration, clients and dependencies), so before each file a setup file makes this
 * repository's modules afresh and after it puts the environment back
 * (test/support/fresh-modules-setup.ts). A file that does what neither undoes (a module mock, fake
 * timers, a stubbed global: test/support/shared-workers.ts) is left out of the list and runs
 * isolated in `main`; test/unit/shared-workers.test.ts checks both. The setup also fails a file that
 * leaves the process changed (a global, Date.now, a process listener: test/support/process-state.ts).
 */
const SHARED_WORKER_TESTS = sharedWorkerTests(import.meta.dirname);

// The client's chaos soak takes minutes: `npm run soak` (CLIENT_SOAK=1), not `npm test`.
const SOAK = process.env.CLIENT_SOAK ? [] : ['test/client/soak.test.ts'];

/** What the projects share; the run-wide settings (workers, global setup, reporters) are below. */
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
          name: 'stack',
          include: SHARED_WORKER_TESTS,
          exclude: [...configDefaults.exclude, ...SOAK],
          isolate: false,
          setupFiles: ['test/support/fresh-modules-setup.ts'],
          // A stubbed global or variable is put back after each test (the text patterns keep such
          // files out anyway: this is for the forms they miss).
          unstubGlobals: true,
          unstubEnvs: true,
        },
      },
      {
        test: {
          ...common,
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, CDK_TESTS, ...SHARED_WORKER_TESTS, ...SOAK],
        },
      },
    ],
  },
});
