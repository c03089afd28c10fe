/**
 * Records which environment variables each function USES, for `scripts/check-env.ts` (the twin of the
 * IAM check): locally every handler runs in one process and sees every variable the local stack sets,
 * while on AWS a function has only what its CDK definition gives it. A value read once per container
 * (`config()`, `deps()`, the authorizer's verifier, the push providers) is recorded at each use, not
 * only by the first function that happened to read it.
 *
 * Active only when `AWS_CALL_LOG_DIR` is set when this module loads (the test run; Lambda never sets
 * it): then each distinct (function, variable) whose value is set is appended once per process to
 * `<dir>/env/uses-<pid>.jsonl`. Otherwise every entry point returns its input untouched.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CALL_LOG_DIR_ENV } from './call-recorder.ts';
import { currentFunction } from './logger.ts';

/** One recorded use, as the checker reads it. */
export interface EnvUse {
  /** Route key of the invocation, `$authorizer`, a worker's name…, or null outside any invocation. */
  readonly fn: string | null;
  readonly name: string;
}

/** The sub-folder of the call log that holds the uses (check-iam reads only the folder's own files). */
export const ENV_USE_FOLDER = 'env';

let dir: string | undefined = process.env[CALL_LOG_DIR_ENV] || undefined;

/** True while uses are recorded (the test run). */
export const recordingEnvUses = (): boolean => dir !== undefined;

/** Turns recording on (a folder) or off (tests of the recorder); returns the folder before. */
export function setEnvUseLog(next: string | undefined): string | undefined {
  const before = dir;
  dir = next;
  return before;
}

const written = new Set<string>();
let paused = 0;

/**
 * Runs `build` (synchronous) without recording: building a value once per container is no use of
 * the variables it reads (each use of the value records them, `usedThrough`).
 */
export function unrecorded<T>(build: () => T): T {
  paused++;
  try {
    return build();
  } finally {
    paused--;
  }
}

/** Records that the current invocation uses `names` (those set; each once per process). */
export function useEnv(names: Iterable<string>): void {
  if (dir === undefined || paused > 0) return;
  const fn = currentFunction() ?? null;
  const lines: string[] = [];
  for (const name of names) {
    const key = `${fn}\n${name}`;
    if (written.has(key)) continue;
    const value = process.env[name];
    if (value === undefined || value === '') continue;
    written.add(key);
    lines.push(JSON.stringify({ fn, name } satisfies EnvUse));
  }
  if (lines.length === 0) return;
  const folder = join(dir, ENV_USE_FOLDER);
  mkdirSync(folder, { recursive: true });
  appendFileSync(join(folder, `uses-${process.pid}.jsonl`), `${lines.join('\n')}\n`);
}

/**
 * `process.env`, or while recording a view of it that records each variable read (and adds its
 * name to `names`, for a value built once and used again: pass them to `useEnv` at each use).
 */
export function readingEnv(names?: Set<string>): NodeJS.ProcessEnv {
  if (dir === undefined) return process.env;
  return new Proxy(process.env, {
    get(target, key) {
      const value = target[key as string];
      if (typeof key === 'string') {
        names?.add(key);
        useEnv([key]);
      }
      return value;
    },
  });
}

/** For each field of a value built from the environment: the variables it comes from. */
export type EnvSources<T> = {
  readonly [K in keyof T]-?:
    | readonly string[]
    | (T[K] extends Record<string, unknown> ? EnvSources<T[K]> : never);
};

const views = new WeakMap<object, object>();

/**
 * `value`, or while recording a view of it that records a field's variables whenever the field is
 * read (a nested object with sources of its own gets a view too). Fields are returned as they are.
 */
export function usedThrough<T extends object>(value: T, sources: EnvSources<T>): T {
  if (dir === undefined) return value;
  let view = views.get(value);
  if (!view) {
    const byKey = sources as Readonly<Record<PropertyKey, unknown>>;
    view = new Proxy(value, {
      get(target, key) {
        const field: unknown = Reflect.get(target, key);
        const source = byKey[key];
        if (Array.isArray(source)) useEnv(source as readonly string[]);
        else if (source && typeof source === 'object' && field && typeof field === 'object') {
          return usedThrough(field, source as EnvSources<object>);
        }
        return field;
      },
    });
    views.set(value, view);
  }
  return view as T;
}

/**
 * `{ ...base, ...extra }`, or while recording a view that reads `base`'s other fields only when they
 * are used (spreading a recording view would count every field as used). The view lists `base`'s
 * keys too, so a spread of it (tests replace one dependency so: `{ ...scheduledDeps(), fanOut }`)
 * keeps them all; such a spread inside an invocation counts every field as used.
 */
export function extended<T extends object, E extends object>(base: T, extra: E): Omit<T, keyof E> & E {
  if (dir === undefined) return { ...base, ...extra };
  const own = (key: string | symbol) => Object.hasOwn(extra, key);
  return new Proxy(extra, {
    get: (target, key) => (key in target ? Reflect.get(target, key) : Reflect.get(base, key)),
    has: (target, key) => key in target || key in base,
    ownKeys: (target) => [...new Set([...Reflect.ownKeys(base), ...Reflect.ownKeys(target)])],
    getOwnPropertyDescriptor: (target, key) =>
      own(key)
        ? Reflect.getOwnPropertyDescriptor(target, key)
        : key in base
          ? { configurable: true, enumerable: true, writable: false, value: undefined }
          : undefined,
  }) as Omit<T, keyof E> & E;
}
