/**
 * Which test files share their worker (vitest.config.ts: the `stack` project, `isolate: false`): the
 * files that run a test stack (test/support/stack.ts), unless they, or a module they load, do what
 * a shared worker would carry into the next file. Each such file started a process of its own and
 * imported the AWS SDK, ws and the rest afresh: about 1 s of CPU a file.
 *
 * What a file leaves behind in a shared worker, and what undoes it:
 * - this repository's modules (caches such as `config()`, `deps()`, the clients, the write timing,
 *   the log levels): re-evaluated for each file (test/support/fresh-modules.ts, `vi.resetModules`);
 *   only node_modules (no state of ours) are kept, and they are what costs;
 * - the environment (the local stack sets the handlers' variables): put back after each file
 *   (fresh-modules.ts);
 * - `vi.spyOn`: restored by vitest after each file;
 * - what nothing undoes: a module mock (`vi.mock`, `vi.doMock`), stubbed globals or environment, fake
 *   timers or clock, an assignment to `globalThis`, a change of directory. A file that does, in itself
 *   or in a module it loads, runs isolated (`CROSS_FILE_LEAKS`).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** What no reset between files undoes, each with what it is. */
export const CROSS_FILE_LEAKS: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /\bvi\.(mock|doMock)\(/, what: 'mocks a module' },
  { pattern: /\bvi\.(stubEnv|stubGlobal)\(/, what: 'stubs the environment or a global' },
  { pattern: /\bvi\.(useFakeTimers|setSystemTime)\(/, what: 'fakes the timers or the clock' },
  { pattern: /\bglobalThis\.\w+\s*=(?!=)/, what: 'assigns a global' },
  { pattern: /\bprocess\.chdir\(/, what: 'changes the directory' },
];

/** Relative imports that load code (not `import type`), resolved to files. */
export function imports(file: string, source: string): string[] {
  const found = source.matchAll(
    /(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?'(\.[^']+)'|import\(\s*'(\.[^']+)'/g,
  );
  return [...found].map((m) => resolve(dirname(file), (m[1] ?? m[2]) as string));
}

/** A file's source and the files it loads, read once. */
type Reader = (file: string) => { source: string; loads: string[] };

function reader(): Reader {
  const read = new Map<string, { source: string; loads: string[] }>();
  return (file) => {
    let found = read.get(file);
    if (!found) {
      const source = readFileSync(file, 'utf8');
      found = { source, loads: imports(file, source) };
      read.set(file, found);
    }
    return found;
  };
}

/**
 * Each file the given ones load, theirs included, with its source (not a build's output not yet
 * built). `read` may be shared by many walks over the same files.
 */
export function closure(files: readonly string[], read: Reader = reader()): Map<string, string> {
  const seen = new Map<string, string>();
  const queue = [...files];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file) || !/\.(ts|js|mjs)$/.test(file) || !existsSync(file)) continue;
    const { source, loads } = read(file);
    seen.set(file, source);
    queue.push(...loads);
  }
  return seen;
}

/** Each file of `sources` that leaks across files, with what it does ("path what"). */
export function crossFileLeaks(root: string, sources: ReadonlyMap<string, string>): string[] {
  return [...sources].flatMap(([file, source]) =>
    CROSS_FILE_LEAKS.filter((l) => l.pattern.test(source)).map((l) => `${relative(root, file)} ${l.what}`),
  );
}

/**
 * The test files (relative to `root`) that share their worker: outside test/cdk (its own project),
 * running a test stack, leaking nothing across files. Sorted.
 */
export function sharedWorkerTests(root: string): string[] {
  const stack = join(root, 'test/support/stack.ts');
  const read = reader();
  const leaky = new Map<string, boolean>();
  const leaks = ([file, source]: [string, string]): boolean => {
    let found = leaky.get(file);
    if (found === undefined) {
      found = CROSS_FILE_LEAKS.some((l) => l.pattern.test(source));
      leaky.set(file, found);
    }
    return found;
  };
  return readdirSync(join(root, 'test'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts') && !f.startsWith('cdk/'))
    .sort()
    .filter((f) => {
      const sources = closure([join(root, 'test', f)], read);
      return sources.has(stack) && ![...sources].some(leaks);
    })
    .map((f) => `test/${f}`);
}
