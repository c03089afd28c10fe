/**
 * The test files that share their worker (vitest.config.ts: the `stack` project, `isolate: false`;
 * test/support/shared-workers.ts): the list is the one the project runs, none of its files does what
 * the reset between files cannot undo, and that reset gives a file this repository's modules afresh
 * (a cache of the last file's stack is not this file's) and its environment back.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../local/stack.ts';
import config from '../../vitest.config.ts';
import { freshStart, restoreEnv } from '../support/fresh-modules.ts';
import { closure, crossFileLeaks, reader, sharedWorkerTests } from '../support/shared-workers.ts';

interface ProjectTest {
  name?: string;
  include?: string[];
  exclude?: string[];
  isolate?: boolean;
  setupFiles?: string[];
}

const projects = (config.test?.projects ?? []) as { test: ProjectTest }[];
const project = (name: string): ProjectTest => {
  const found = projects.find((p) => p.test.name === name);
  if (!found) throw new Error(`vitest.config.ts has no project named ${name}`);
  return found.test;
};

describe('the test files that share their worker', () => {
  const shared = sharedWorkerTests(ROOT);

  it('are the stack project’s, run with the fresh-modules setup, and left out of main', () => {
    // The stack-using files are most of the e2e, fault, security, client and web tests.
    expect(shared.length).toBeGreaterThan(150);
    const stack = project('stack');
    expect(stack.include).toEqual(shared);
    expect(stack.isolate).toBe(false);
    expect(stack.setupFiles).toEqual(['test/support/fresh-modules-setup.ts']);
    expect(project('main').exclude).toEqual(expect.arrayContaining(shared));
  });

  it('each run a test stack and none mocks a module, fakes timers or stubs a global', () => {
    const sources = closure(
      shared.map((f) => join(ROOT, f)),
      reader(ROOT),
    );
    // The walk reached the stack and the handlers (it follows the imports at all).
    expect(sources.has(join(ROOT, 'test/support/stack.ts'))).toBe(true);
    expect(sources.has(join(ROOT, 'lambdas/domain/deps.ts'))).toBe(true);
    // And what the stack loads by computed imports: a handler, `#pre-send-hook`, a PRE_SEND_HOOK module.
    expect(sources.has(join(ROOT, 'lambdas/handlers/authorizer.ts'))).toBe(true);
    expect(sources.has(join(ROOT, 'lambdas/domain/no-pre-send-hook.ts'))).toBe(true);
    expect(sources.has(join(ROOT, 'hooks/word-filter.ts'))).toBe(true);
    expect(sources.has(join(ROOT, 'test/support/hooks/slow-hook.ts'))).toBe(true);
    expect(crossFileLeaks(ROOT, sources)).toEqual([]);
  });

  it('would be told apart from a file that leaks across files (a control)', () => {
    const file = join(ROOT, 'test/e2e/example.test.ts');
    const leaky = new Map([
      [
        file,
        "vi.mock('../../lambdas/domain/deps.ts');\nvi.useFakeTimers();\nvi.stubGlobal('fetch', f);\nglobalThis.x = 1;",
      ],
    ]);
    expect(crossFileLeaks(ROOT, leaky)).toEqual([
      'test/e2e/example.test.ts mocks a module',
      'test/e2e/example.test.ts stubs the environment or a global',
      'test/e2e/example.test.ts fakes the timers or the clock',
      'test/e2e/example.test.ts assigns a global',
    ]);
    // What the reset undoes is no leak: the environment set, a spy (vitest restores it), a cache.
    const undone = "process.env.TABLE_NAME = 'x';\nvi.spyOn(console, 'log');\nlet cached;";
    expect(crossFileLeaks(ROOT, new Map([[file, undone]]))).toEqual([]);
    // And a file whose closure leaks is not shared.
    expect(shared).not.toContain('test/security/blocked-of-cost.test.ts');
  });

  it('get this repository’s modules afresh: a cache the last file filled is gone', async () => {
    const before = await import('../../lambdas/domain/timing.ts');
    before.setWriteTiming({ writeDeadlineMs: 1234 });
    expect((await import('../../lambdas/domain/timing.ts')).writeTiming().writeDeadlineMs).toBe(1234);
    freshStart();
    const after = await import('../../lambdas/domain/timing.ts');
    expect(after).not.toBe(before);
    expect(after.writeTiming().writeDeadlineMs).toBe(after.DEFAULT_WRITE_TIMING.writeDeadlineMs);
  });

  it('get the environment back: what the file set removed, what it changed restored', () => {
    const env: NodeJS.ProcessEnv = { KEPT: 'k', CHANGED: 'old', REMOVED: 'r' };
    const before = { ...env };
    env.CHANGED = 'new';
    env.ADDED = 'a';
    delete env.REMOVED;
    restoreEnv(env, before);
    expect(env).toEqual({ KEPT: 'k', CHANGED: 'old', REMOVED: 'r' });
  });
});
