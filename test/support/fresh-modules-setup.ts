/**
 * Setup file of the test files that share their worker (vitest.config.ts, the `stack` project;
 * test/support/shared-workers.ts says which and why). Vitest runs it before each file: it gives the
 * file this repository's modules afresh (their caches: configuration, clients, dependencies), and
 * puts the environment back as it was once the file is done (its `afterAll` runs after the file's).
 */
import { afterAll } from 'vitest';
import { freshStart, restoreEnv } from './fresh-modules.ts';

freshStart();
const before = { ...process.env };
afterAll(() => restoreEnv(process.env, before));
