/**
 * Controls of the shared-worker guard (test/support/shared-workers.ts, process-state.ts): it must
 * tell a leaky file from a clean one, on files it has never seen. The text patterns on a tree of
 * files that leak in the forms a plain `globalThis.x =` pattern misses, or through a module the test
 * stack loads by a computed import; the run-time check on the process itself, and through vitest with
 * the stack project's setup file.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../local/stack.ts';
import { processLeaks, processState } from '../support/process-state.ts';
import { sharedWorkerTests } from '../support/shared-workers.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A temporary tree of the given files (path: source). */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'shared-workers-'));
  dirs.push(root);
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), source);
  }
  return root;
}

const RUNS_STACK = "import { useStack } from '../support/stack.ts';\nuseStack();\n";

describe('the text patterns', () => {
  it('leave out a file leaking in any usual form, or through what the stack loads', () => {
    const root = tree({
      'package.json': JSON.stringify({ imports: { '#hook': './hooks/mapped.ts' } }),
      'test/support/stack.ts': 'export function useStack(): void {}\n',
      // The handler is named by no import nor path: only "the stack loads all of lambdas/" finds it.
      'local/stack.ts':
        "const entry = ['lambdas', 'handlers', 'send.ts'].join('/');\nexport const load = () => import(entry);\n",
      'lambdas/handlers/send.ts': 'Date.now = () => 0;\n',
      'hooks/named.ts': "globalThis['seen'] = true;\n",
      'hooks/mapped.ts': 'Object.defineProperty(globalThis, "x", { value: 1 });\n',
      'test/e2e/fake.ts': 'vi.useFakeTimers();\n',
      'test/e2e/clean.test.ts': `${RUNS_STACK}process.env.TABLE_NAME = 'x';\nvi.spyOn(console, 'log');\n`,
      'test/e2e/cast.test.ts': `${RUNS_STACK}(globalThis as { x?: number }).x = 1;\n`,
      'test/e2e/handler.test.ts': `${RUNS_STACK}import { load } from '../../local/stack.ts';\nawait load();\n`,
      'test/e2e/hook.test.ts': `${RUNS_STACK}process.env.PRE_SEND_HOOK = 'hooks/named.ts';\n`,
      'test/e2e/mapped.test.ts': `${RUNS_STACK}import '#hook';\n`,
      'test/e2e/template.test.ts': `${RUNS_STACK}await import(\`./fake.ts\`);\n`,
      'test/e2e/dispatcher.test.ts': `${RUNS_STACK}import { setGlobalDispatcher } from 'undici';\nsetGlobalDispatcher(a);\n`,
      'test/e2e/no-stack.test.ts': "it('runs no stack', () => {});\n",
    });
    expect(sharedWorkerTests(root)).toEqual(['test/e2e/clean.test.ts']);
  });
});

describe('the run-time check', () => {
  it('names each global added, replaced or removed, the clock, a listener and the directory', () => {
    const before = processState();
    const g = globalThis as { sharedWorkersControl?: number };
    g.sharedWorkersControl = 1;
    const now = Date.now;
    Date.now = () => 0;
    const setTimeoutWas = globalThis.setTimeout;
    Object.defineProperty(globalThis, 'setTimeout', { value: () => 0, configurable: true, writable: true });
    const listener = (): void => undefined;
    process.on('warning', listener);
    try {
      const after = processState();
      const warnings = before.listeners.get('warning') ?? 0;
      expect(processLeaks(before, after)).toEqual([
        'globalThis.setTimeout was replaced',
        'globalThis.sharedWorkersControl was added',
        'Date.now was replaced',
        `process 'warning' listeners went from ${warnings} to ${warnings + 1}`,
      ]);
    } finally {
      delete g.sharedWorkersControl;
      Date.now = now;
      Object.defineProperty(globalThis, 'setTimeout', {
        value: setTimeoutWas,
        configurable: true,
        writable: true,
      });
      process.off('warning', listener);
    }
    // Undone, nothing is left; a global a library sets once per process is allowed by name.
    expect(processLeaks(before, processState())).toEqual([]);
    const once = {
      ...before,
      globals: new Map([...before.globals, ['awslambda', [{}, undefined, undefined]]]),
    };
    expect(processLeaks(before, once as typeof before)).toEqual([]);
  });

  it('fails a file of the stack project that leaks, naming what, and passes the next clean one', () => {
    const root = tree({
      'vitest.config.mjs': `export default { test: ${JSON.stringify({
        include: ['*.test.ts'],
        globals: true,
        pool: 'forks',
        maxWorkers: 1,
        isolate: false,
        sequence: { shuffle: false },
        setupFiles: [join(ROOT, 'test/support/fresh-modules-setup.ts')],
      })} };\n`,
      'a-leaks.test.ts':
        "it('leaks', () => {\n  (globalThis as { leaked?: number }).leaked = 1;\n  process.on('warning', () => {});\n});\n",
      'b-clean.test.ts': "it('is clean', () => {\n  expect(1).toBe(1);\n});\n",
    });
    const run = spawnSync(
      join(ROOT, 'node_modules/.bin/vitest'),
      ['run', '--root', root, '--config', 'vitest.config.mjs'],
      {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
        timeout: 60_000,
      },
    );
    const out = `${run.stdout}${run.stderr}`;
    expect(run.status, out).toBe(1);
    expect(out).toMatch(
      /a-leaks\.test\.ts leaves its shared worker changed \(globalThis\.leaked was added; process 'warning' listeners went from \d+ to \d+\)/,
    );
    expect(out).toMatch(/Test Files\s+1 failed \| 1 passed/);
  }, 60_000);
});
