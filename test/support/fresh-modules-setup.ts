/**
 * Setup file of the test files that share their worker (vitest.config.ts, the `stack` project;
 * test/support/shared-workers.ts says which and why). Vitest runs it before each file: it gives the
 * file this repository's modules afresh (their caches: configuration, clients, dependencies), and
 * puts the environment back as it was once the file is done (its `afterAll` runs after the file's,
 * so after the stack stopped). Then it checks the file left the process as it found it: the globals,
 * `Date.now`, the process's listeners, the directory (test/support/process-state.ts); a file that
 * did not fails, naming what it left.
 */
import { afterAll, expect } from 'vitest';
import { freshStart, restoreEnv } from './fresh-modules.ts';
import { assertNoProcessLeaks, processState } from './process-state.ts';

freshStart();
const before = { ...process.env };
const state = processState();
afterAll(() => {
  restoreEnv(process.env, before);
  assertNoProcessLeaks(expect.getState().testPath ?? 'this test file', state);
});
