/**
 * What a test file may leave in a shared worker's process that no reset between files undoes
 * (test/support/shared-workers.ts): the globals, the clock, the process's event listeners and its
 * directory. fresh-modules-setup.ts takes a snapshot before each file and compares after it (the
 * stack stopped): the text patterns of shared-workers.ts are the first line of defence, this the
 * second, for the forms they miss (`(globalThis as X).x = 1`, `Object.defineProperty(globalThis, …)`,
 * `Date.now = …`, a dispatcher set globally, a listener left on `process`).
 */

/** A global's identity: its value, or its accessors. */
type Identity = readonly [unknown, unknown, unknown];

export interface ProcessState {
  readonly globals: ReadonlyMap<PropertyKey, Identity>;
  readonly dateNow: unknown;
  readonly listeners: ReadonlyMap<string | symbol, number>;
  readonly cwd: string;
}

/**
 * Globals a library adds once per process, on first use, and keeps (not a file's doing: the next file
 * finds them set and adds nothing). Each with why.
 */
export const ONCE_PER_PROCESS: readonly { key: PropertyKey; why: string }[] = [
  {
    key: 'awslambda',
    why: '@aws/lambda-invoke-store (the AWS SDK loads it) sets it when first loaded, as Lambda does',
  },
  // playwright-core's utilsBundle (the web tests' browser) bundles zod and signal-exit; both set these
  // when the bundle is first loaded.
  { key: '__zod_globalConfig', why: "zod's configuration (in playwright-core), set when first loaded" },
  { key: '__zod_globalRegistry', why: "zod's schema registry (in playwright-core), set when first loaded" },
  {
    key: Symbol.for('signal-exit emitter'),
    why: "signal-exit's emitter (in playwright-core), set when first loaded; its listeners are counted",
  },
  {
    key: Symbol.for('graceful-fs.queue'),
    why: 'graceful-fs (a dependency of dependencies) keeps its retry queue there, set when first loaded',
  },
];

function identity(target: object, key: PropertyKey): Identity {
  const d = Object.getOwnPropertyDescriptor(target, key);
  return [d?.value, d?.get, d?.set];
}

/** The process's state as far as a file could leave it changed. */
export function processState(
  target: typeof globalThis = globalThis,
  proc: NodeJS.Process = process,
): ProcessState {
  // Node defines some globals (AbortController, Blob, atob…) lazily: the first read replaces the
  // accessor by the value. Read each first, so a read in the file is no change.
  for (const key of Reflect.ownKeys(target)) {
    try {
      Reflect.get(target, key);
    } catch {
      // an accessor that throws: its identity is still compared
    }
  }
  return {
    globals: new Map(Reflect.ownKeys(target).map((key) => [key, identity(target, key)])),
    dateNow: target.Date.now,
    listeners: new Map(proc.eventNames().map((name) => [name, proc.listenerCount(name)])),
    cwd: proc.cwd(),
  };
}

const named = (key: PropertyKey): string =>
  typeof key === 'symbol' ? key.toString() : `globalThis.${String(key)}`;

/** What changed from `before` to `after`, each as a sentence (empty: nothing). */
export function processLeaks(
  before: ProcessState,
  after: ProcessState,
  allowed: readonly { key: PropertyKey }[] = ONCE_PER_PROCESS,
): string[] {
  const allow = new Set(allowed.map((a) => a.key));
  const leaks: string[] = [];
  for (const [key, now] of after.globals) {
    if (allow.has(key)) continue;
    const was = before.globals.get(key);
    if (!was) leaks.push(`${named(key)} was added`);
    else if (was.some((v, i) => !Object.is(v, now[i]))) leaks.push(`${named(key)} was replaced`);
  }
  for (const key of before.globals.keys()) {
    if (!after.globals.has(key) && !allow.has(key)) leaks.push(`${named(key)} was removed`);
  }
  if (!Object.is(after.dateNow, before.dateNow)) leaks.push('Date.now was replaced');
  for (const name of new Set([...before.listeners.keys(), ...after.listeners.keys()])) {
    const was = before.listeners.get(name) ?? 0;
    const now = after.listeners.get(name) ?? 0;
    if (was !== now) leaks.push(`process '${String(name)}' listeners went from ${was} to ${now}`);
  }
  if (after.cwd !== before.cwd) leaks.push(`the directory changed from ${before.cwd} to ${after.cwd}`);
  return leaks;
}

/** Throws, naming what leaked, when the process is not as `before` left it. */
export function assertNoProcessLeaks(
  file: string,
  before: ProcessState,
  after: ProcessState = processState(),
): void {
  const leaks = processLeaks(before, after);
  if (leaks.length > 0) {
    throw new Error(
      `${file} leaves its shared worker changed (${leaks.join('; ')}): undo it in an afterAll, or make ` +
        'the file run isolated (test/support/shared-workers.ts)',
    );
  }
}
