/**
 * A tiny structured JSON logger: one JSON object per line (`level`, `timestamp`, `message`, then the
 * invocation's correlation keys and the line's own fields; a field never replaces a key: `addFields`).
 *
 * Correlation keys (connection id, route, request ids, chat and message ids) belong to one invocation
 * and live in an AsyncLocalStorage scope, not in the logger: the local gateway runs many handlers
 * concurrently in one process, and a line must never carry another invocation's ids. On Lambda, where
 * one process serves one invocation at a time, the scope costs nothing noticeable.
 *
 * - `resetKeys()` starts a fresh scope for the rest of the current invocation (the first thing every
 *   handler pipeline does, in `wsLogContext`); `appendKeys()` adds to the current scope.
 * - `runWithKeys()` runs a function in a scope of its own (handlers outside the middy pipeline).
 *
 * Lambda's JSON log format reads `level` and `timestamp` from these lines (lib/chat-function.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export type Level = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
const ORDER: Record<Level, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 };

function threshold(): number {
  const configured = (process.env.LOG_LEVEL ?? 'INFO').toUpperCase() as Level;
  return ORDER[configured] ?? ORDER.INFO;
}

/** One invocation's scope. */
export interface InvocationScope {
  /** Correlation keys added to every log line of the invocation. */
  readonly keys: Record<string, unknown>;
  /**
   * The function the invocation belongs to, when it is not the route of `keys.routeKey` (the
   * authorizer). Read by the AWS call recorder (lambdas/shared/call-recorder.ts).
   */
  readonly fn?: string;
}

/** The function name the `$connect` authorizer's scope carries (it is no route of its own). */
export const AUTHORIZER_FN = '$authorizer';

const scopes = new AsyncLocalStorage<InvocationScope>();

/**
 * Levels of single functions, above `LOG_LEVEL`. On AWS each function reads its own `LOG_LEVEL`;
 * the local stack runs every function in one process, so `npm run dev` sets a function's level here
 * (the scheduled sweep's per-minute line is a detail locally: local/dev.ts).
 */
const functionThresholds = new Map<string, number>();

/** Logs `fn`'s lines (by its scope's function name, `currentFunction`) from `level` up only. */
export function setFunctionLogLevel(fn: string, level: Level): void {
  functionThresholds.set(fn, ORDER[level]);
}

/** The current invocation's scope, if any. */
export function currentScope(): InvocationScope | undefined {
  return scopes.getStore();
}

/** The function (route key, or `$authorizer`) the current invocation belongs to. */
export function currentFunction(): string | undefined {
  const scope = scopes.getStore();
  if (!scope) return undefined;
  if (scope.fn) return scope.fn;
  return typeof scope.keys.routeKey === 'string' ? scope.keys.routeKey : undefined;
}

const CORRELATION_FIELDS = ['requestId', 'chatId', 'messageId'] as const;

/**
 * The correlation ids a client frame names: its `requestId`, `chatId` and `messageId` (strings of at
 * most 64 characters only, so a hostile frame cannot bloat every line).
 */
export function frameKeys(fields: Record<string, unknown> | undefined): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const name of CORRELATION_FIELDS) {
    const value = fields?.[name];
    if (typeof value === 'string' && value.length > 0 && value.length <= 64) keys[name] = value;
  }
  return keys;
}

export class Logger {
  #threshold = threshold();

  /** Adds keys to every later line of the current invocation. */
  appendKeys(keys: Record<string, unknown>): void {
    const scope = scopes.getStore();
    if (scope) Object.assign(scope.keys, keys);
    else scopes.enterWith({ keys: { ...keys } });
  }

  /**
   * Starts a fresh scope for the rest of the current invocation: later lines (in this invocation's
   * asynchronous continuations only) carry no keys until `appendKeys`.
   */
  resetKeys(): void {
    scopes.enterWith({ keys: {} });
  }

  /** Runs `fn` in a scope of its own with `keys` (and, for the call recorder, the function's name). */
  runWithKeys<T>(keys: Record<string, unknown>, fn: () => T, functionName?: string): T {
    return scopes.run({ keys: { ...keys }, ...(functionName ? { fn: functionName } : {}) }, fn);
  }

  /** The current invocation's keys (a copy). */
  keys(): Record<string, unknown> {
    return { ...scopes.getStore()?.keys };
  }

  debug(message: string, extra?: Record<string, unknown>): void {
    this.#write('DEBUG', message, extra);
  }
  info(message: string, extra?: Record<string, unknown>): void {
    this.#write('INFO', message, extra);
  }
  warn(message: string, extra?: Record<string, unknown>): void {
    this.#write('WARN', message, extra);
  }
  error(message: string, extra?: Record<string, unknown>): void {
    this.#write('ERROR', message, extra);
  }

  #write(level: Level, message: string, extra?: Record<string, unknown>): void {
    if (ORDER[level] < this.#threshold) return;
    if (
      functionThresholds.size > 0 &&
      ORDER[level] < (functionThresholds.get(currentFunction() ?? '') ?? 0)
    ) {
      return;
    }
    const entry: Record<string, unknown> = {
      level,
      timestamp: new Date().toISOString(),
      message,
      ...scopes.getStore()?.keys,
    };
    if (extra) addFields(entry, extra);
    if (entry.error instanceof Error) {
      const err = entry.error;
      const cause = causeOf(err.cause, MAX_CAUSES);
      entry.error = { name: err.name, message: err.message, stack: err.stack, ...(cause ? { cause } : {}) };
    }
    const line = JSON.stringify(entry);
    if (level === 'ERROR' || level === 'WARN') process.stderr.write(`${line}\n`);
    else process.stdout.write(`${line}\n`);
  }
}

/** How many causes of an error a line keeps (a longer chain, or a cycle, stops there). */
const MAX_CAUSES = 5;
/** The characters of a cause's message a line keeps. */
const MAX_CAUSE_MESSAGE = 1000;

const cut = (text: string): string =>
  text.length > MAX_CAUSE_MESSAGE ? `${text.slice(0, MAX_CAUSE_MESSAGE)}…` : text;

/**
 * An error's `cause` as a line shows it: an Error's name and message (no stack, no other property:
 * an SDK error's metadata, or whatever a caller attached), and its own cause, `depth` levels at
 * most; a string as its message; anything else only by its type (an object could hold a secret).
 * Wrappers put the why there (lambdas/auth/rotating.ts, lambdas/fanout/job-queue.ts).
 */
function causeOf(cause: unknown, depth: number): Record<string, unknown> | undefined {
  if (cause === undefined || depth <= 0) return undefined;
  if (typeof cause === 'string') return { message: cut(cause) };
  if (!(cause instanceof Error)) return { type: cause === null ? 'null' : typeof cause };
  const inner = causeOf(cause.cause, depth - 1);
  return { name: cause.name, message: cut(String(cause.message)), ...(inner ? { cause: inner } : {}) };
}

/**
 * Adds a line's own fields to its entry. A field named like one the entry has already (`level`,
 * `timestamp`, `message`, a correlation key the invocation has) never replaces it: another user's
 * `connectionId` or an SQS message's id must not pass for the invocation's. The same value is
 * written once; a different one under `line` + the name (`lineConnectionId`).
 */
export function addFields(entry: Record<string, unknown>, extra: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(extra)) {
    if (entry[key] === undefined) entry[key] = value;
    else if (entry[key] !== value) entry[`line${key.charAt(0).toUpperCase()}${key.slice(1)}`] = value;
  }
}

/** The logger shared by every handler of this container. */
export const logger = new Logger();
