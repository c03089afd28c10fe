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
 *   timers or clock, an assignment to `globalThis` (cast or not, by name or index, `defineProperty`),
 *   a built-in replaced (`Date.now = …`), the global HTTP dispatcher, a change of directory. A file
 *   that does, in itself or in a module it loads, runs isolated (`CROSS_FILE_LEAKS`). What it loads
 *   includes what the local stack loads by computed imports (the handlers, workers and hooks: all of
 *   lambdas/ and local/), `#` imports and the modules a file names by path (PRE_SEND_HOOK's). These
 *   text patterns are the first line of defence; test/support/process-state.ts checks the process
 *   itself after each file (fresh-modules-setup.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** What no reset between files undoes, each with what it is. */
export const CROSS_FILE_LEAKS: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /\bvi\s*(?:\.\s*|\[\s*['"`])(mock|doMock)\b/, what: 'mocks a module' },
  { pattern: /\bvi\s*(?:\.\s*|\[\s*['"`])(stubEnv|stubGlobal)\b/, what: 'stubs the environment or a global' },
  {
    pattern: /\bvi\s*(?:\.\s*|\[\s*['"`])(useFakeTimers|setSystemTime)\b/,
    what: 'fakes the timers or the clock',
  },
  // `globalThis.x = `, `globalThis['x'] = `, `(globalThis as X).x = `, `global.x = `.
  {
    pattern:
      /\b(?:globalThis|global)\b(?:\s+as\s[^;=]*?)?\)?\s*(?:\.\s*\w+|\[[^\]]+\])\s*(?:=(?!=)|\?\?=|\|\|=)/,
    what: 'assigns a global',
  },
  {
    pattern:
      /\b(?:Object\.(?:defineProperty|defineProperties|assign)|Reflect\.(?:set|defineProperty))\(\s*(?:globalThis|global)\b/,
    what: 'defines a global',
  },
  {
    pattern: /\b(?:Date|Math|JSON|console|performance|crypto)\s*\.\s*\w+\s*=(?!=)/,
    what: 'replaces a built-in',
  },
  { pattern: /\bsetGlobalDispatcher\s*\(/, what: 'sets the global HTTP dispatcher' },
  { pattern: /\bprocess\.chdir\(/, what: 'changes the directory' },
];

/** Relative imports that load code (not `import type`), resolved to files. */
export function imports(file: string, source: string): string[] {
  const found = source.matchAll(
    /(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?(['"])(\.[^'"]+)\1|import\(\s*(['"`])(\.[^'"`$]+)\3/g,
  );
  return [...found].map((m) => resolve(dirname(file), (m[2] ?? m[4]) as string));
}

/** Imports through package.json's import map (`#pre-send-hook`), resolved to files. */
export function mappedImports(
  root: string,
  map: Readonly<Record<string, unknown>>,
  source: string,
): string[] {
  const found = source.matchAll(/(?:\sfrom\s+|import\(\s*|import\s+)'(#[^']+)'/g);
  return [...found].flatMap((m) => {
    const target = map[m[1] as string];
    return typeof target === 'string' ? [resolve(root, target)] : [];
  });
}

/**
 * Module paths written as strings, relative to the root (`'lambdas/handlers/send.ts'` in a route
 * table, `PRE_SEND_HOOK: 'hooks/word-filter.ts'`): what a computed `import()` loads.
 */
export function pathsNamed(root: string, source: string): string[] {
  const found = source.matchAll(/(['"])((?:[\w@-][\w.@-]*\/)+[\w.@-]+\.(?:ts|js|mjs))\1/g);
  return [...found]
    .map((m) => resolve(root, m[2] as string))
    .filter((f) => !f.endsWith('.test.ts') && existsSync(f));
}

/** Every module of a folder (a test's excepted): what the local stack may load. */
function modulesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|mjs)$/.test(f) && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'))
    .map((f) => join(folder, f));
}

/** A file's source and the files it loads, read once. */
type Reader = (file: string) => { source: string; loads: string[] };

/**
 * Reads files under `root`. A file loads what it imports (relatively or through package.json's
 * import map) and the modules it names by path. The local stack (local/stack.ts) loads, besides, all
 * of lambdas/ and local/: the handlers and workers through a computed import of the route tables'
 * entries, the pre-send hook through `#pre-send-hook` or the module PRE_SEND_HOOK names. With
 * `computed: false`, only the imports (for code that names handlers without running them: the CDK's).
 */
export function reader(root: string, { computed = true }: { computed?: boolean } = {}): Reader {
  const read = new Map<string, { source: string; loads: string[] }>();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    imports?: Record<string, unknown>;
  };
  const map = pkg.imports ?? {};
  const stack = join(root, 'local/stack.ts');
  return (file) => {
    let found = read.get(file);
    if (!found) {
      const source = readFileSync(file, 'utf8');
      const loads = [...imports(file, source), ...mappedImports(root, map, source)];
      if (computed) loads.push(...pathsNamed(root, source));
      if (computed && file === stack)
        loads.push(...modulesUnder(join(root, 'lambdas')), ...modulesUnder(join(root, 'local')));
      found = { source, loads };
      read.set(file, found);
    }
    return found;
  };
}

/**
 * Each file the given ones load, theirs included, with its source (not a build's output not yet
 * built). `read` (files under that root) may be shared by many walks over the same files.
 */
export function closure(files: readonly string[], read: Reader): Map<string, string> {
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
 * running a test stack (importing it: a file that only names it is not), leaking nothing across files,
 * in what it imports or what the stack loads. Sorted.
 */
export function sharedWorkerTests(root: string): string[] {
  const stack = join(root, 'test/support/stack.ts');
  const read = reader(root);
  const imported = reader(root, { computed: false });
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
      const file = join(root, 'test', f);
      return closure([file], imported).has(stack) && ![...closure([file], read)].some(leaks);
    })
    .map((f) => `test/${f}`);
}
