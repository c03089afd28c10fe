/**
 * The pre-send hook (issue 14; docs/hooks.md): an optional module whose function sees each message
 * before it is stored and answers allow, deny (the sender gets FORBIDDEN with the hook's reason) or
 * rewrite (the text is replaced, e.g. words masked). It is bounded by a timeout
 * (`PRE_SEND_HOOK_TIMEOUT_MS`, default 300) after which the configured fallback applies
 * (`PRE_SEND_HOOK_FALLBACK`: `allow`, the default, or `deny`); a hook that throws counts as timed out,
 * and so does one whose verdict came after the timeout (a synchronous hook that blocked the event
 * loop, so that the timer could not fire: the timeout cannot stop it, only ignore its verdict).
 *
 * Where the module comes from:
 * - on AWS, the bundle: the stack's `preSendHook` setting (lib/pre-send-hook.ts) swaps the module
 *   `#pre-send-hook` for the configured file when it bundles the functions that send, and sets
 *   `PRE_SEND_HOOK` to that file's name (for the logs; nothing is loaded at run time);
 * - otherwise (`npm run dev`, tests, the benchmark) `#pre-send-hook` exports no hook and
 *   `PRE_SEND_HOOK` names a module path (absolute, or relative to the working directory) loaded once;
 *   a load that failed is tried again `HOOK_RELOAD_AFTER_MS` later (the fallback applies meanwhile).
 *   Unset: no hook, and nothing is loaded.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as v from 'valibot';
import * as bundledModule from '#pre-send-hook';
import { messageText } from '../contract/fields.ts';
import { LIMITS } from '../contract/limits.ts';
import type { Caller } from '../shared/caller.ts';
import { cleanName } from '../shared/clean-name.ts';
import { readingEnv } from '../shared/env-use.ts';
import { ChatError } from '../shared/errors.ts';
import { logger } from '../shared/logger.ts';

const FAILED_CHECK = 'This message could not be checked. Please retry.';

/**
 * The hook's refusal (`FORBIDDEN`), told apart from the send's other refusals: a retry of a send
 * already stored is answered with the stored message whatever the hook says now (send.ts), and
 * `unanswered` (the hook could not answer: it timed out, threw, answered nonsense or could not be
 * loaded, and the fallback is `deny`) is a refusal that may pass, which the scheduled dispatcher
 * tries again (scheduled-dispatch.ts).
 */
export class HookRefusal extends ChatError {
  constructor(
    message: string,
    readonly unanswered: boolean,
  ) {
    super('FORBIDDEN', message);
  }
}

export const isHookRefusal = (error: unknown): error is HookRefusal => error instanceof HookRefusal;

/**
 * A deny verdict's `reason` as the author is shown it (the send's FORBIDDEN frame, a failed
 * scheduled message's `detail`): escape sequences, control characters and bidirectional overrides
 * removed, runs of white space made one space, at most `LIMITS.hookReasonMaxChars` code points (never
 * half a pair); nothing printable left, a neutral sentence.
 */
export function refusalSentence(reason: string): string {
  // Line breaks and tabs are white space in a sentence: a space, before control characters go.
  return cleanName(reason.replace(/\s+/g, ' '), LIMITS.hookReasonMaxChars) ?? 'This message was refused.';
}

/** What a hook sees. */
export interface PreSendMessage {
  readonly chatId: string;
  readonly senderId: string;
  readonly senderName: string;
  readonly text: string;
  /** How many attachments the message carries (their bytes are not shown to the hook). */
  readonly attachmentCount: number;
  /**
   * The file names of its attachments that have one (shown to every member beside the text), in
   * order. The hook may refuse the message for one; it cannot rewrite them (a rewrite is the text's).
   */
  readonly fileNames: readonly string[];
}

export type PreSendVerdict =
  | { readonly action: 'allow' }
  | { readonly action: 'deny'; readonly reason: string }
  | { readonly action: 'rewrite'; readonly text: string };

/** The function a hook module exports (as `default` or as `preSend`). */
export type PreSendHook = (message: PreSendMessage) => PreSendVerdict | Promise<PreSendVerdict>;

export interface HookSettings {
  readonly timeoutMs: number;
  readonly fallback: 'allow' | 'deny';
}

export function hookSettingsFromEnv(env: NodeJS.ProcessEnv = readingEnv()): HookSettings {
  const timeoutMs = Number(env.PRE_SEND_HOOK_TIMEOUT_MS ?? 300);
  return {
    timeoutMs: Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 300,
    fallback: env.PRE_SEND_HOOK_FALLBACK === 'deny' ? 'deny' : 'allow',
  };
}

/** The environment the hook's settings come from (the stack sets them: lib/pre-send-hook.ts). */
export const PRE_SEND_HOOK_ENV = {
  module: 'PRE_SEND_HOOK',
  timeoutMs: 'PRE_SEND_HOOK_TIMEOUT_MS',
  fallback: 'PRE_SEND_HOOK_FALLBACK',
} as const;

/** The hook bundled in place of `#pre-send-hook`, if any (read through a plain object: any export names). */
const bundled = ((): Promise<PreSendHook> | undefined => {
  const mod: { preSend?: unknown; default?: unknown } = bundledModule;
  const fn = mod.preSend ?? mod.default;
  return typeof fn === 'function' ? Promise.resolve(fn as PreSendHook) : undefined;
})();

/**
 * A module that could not be loaded is loaded again once this long has passed since (its fallback
 * applies meanwhile), so a passing failure heals without a cold start.
 */
export const HOOK_RELOAD_AFTER_MS = 30_000;

/** Per path: the module's load (pending, done or failed) and, once it failed, when. */
const loaded = new Map<string, { readonly hook: Promise<PreSendHook>; failedAtMs?: number }>();
let loads = 0;

/**
 * The configured hook: the bundled one, else the module `PRE_SEND_HOOK` names (loaded once per
 * path; after a failed load, again at the first call `HOOK_RELOAD_AFTER_MS` later), else undefined.
 */
export function configuredHook(
  env: NodeJS.ProcessEnv = readingEnv(),
  nowMs: number = Date.now(),
): Promise<PreSendHook> | undefined {
  if (bundled) return bundled;
  const path = env.PRE_SEND_HOOK;
  if (!path) return undefined;
  const known = loaded.get(path);
  if (known && (known.failedAtMs === undefined || nowMs - known.failedAtMs < HOOK_RELOAD_AFTER_MS)) {
    return known.hook;
  }
  const url = pathToFileURL(isAbsolute(path) ? path : resolve(env.LAMBDA_TASK_ROOT ?? process.cwd(), path));
  // A module whose evaluation threw stays failed in the module cache under its URL: a reload asks
  // for a URL of its own (the query), so the module is evaluated again.
  if (known) url.searchParams.set('reload', String(++loads));
  const hook = import(url.href).then((mod: { default?: unknown; preSend?: unknown }) => {
    const fn = mod.preSend ?? mod.default;
    if (typeof fn !== 'function') throw new Error(`${path} exports no pre-send hook (default or preSend)`);
    return fn as PreSendHook;
  });
  const entry: { hook: Promise<PreSendHook>; failedAtMs?: number } = { hook };
  hook.catch(() => {
    entry.failedAtMs = nowMs; // the back-off counts from the failed load's start
  });
  loaded.set(path, entry);
  return hook;
}

const TIMED_OUT = Symbol('timed out');

/** Runs a hook under the timeout; a timeout or a throw gives the fallback. */
export async function runHook(
  hook: PreSendHook,
  message: PreSendMessage,
  settings: HookSettings,
): Promise<PreSendVerdict> {
  return (await askHook(hook, message, settings)) ?? fallbackVerdict(settings);
}

function fallbackVerdict(settings: HookSettings): PreSendVerdict {
  return settings.fallback === 'deny' ? { action: 'deny', reason: FAILED_CHECK } : { action: 'allow' };
}

/** The hook's verdict under the timeout, or undefined when it could not answer (the fallback applies). */
async function askHook(
  hook: PreSendHook,
  message: PreSendMessage,
  settings: HookSettings,
): Promise<PreSendVerdict | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const started = performance.now();
  try {
    const verdict = await Promise.race([
      Promise.resolve().then(() => hook(message)),
      new Promise<typeof TIMED_OUT>((done) => {
        timer = setTimeout(() => done(TIMED_OUT), settings.timeoutMs);
      }),
    ]);
    if (verdict !== TIMED_OUT && isVerdict(verdict)) {
      // A hook that blocks the event loop (slow synchronous work) keeps the timer from firing: its
      // verdict comes first, but late. The send has waited for it already, and a verdict in hand is
      // better than the fallback (a late deny or rewrite must not let the words through): it applies,
      // and the lateness is logged. The fallback is only for a hook that gave no verdict.
      const ms = performance.now() - started;
      if (ms > settings.timeoutMs)
        logger.warn('pre-send hook answered after its timeout: verdict applied', {
          ms: Math.round(ms),
          timeoutMs: settings.timeoutMs,
        });
      return verdict;
    }
    logger.warn('pre-send hook timed out or answered nonsense: fallback', { fallback: settings.fallback });
  } catch (error) {
    logger.warn('pre-send hook failed: fallback', { error, fallback: settings.fallback });
  } finally {
    clearTimeout(timer);
    logger.debug('pre-send hook', { ms: Math.round(performance.now() - started) });
  }
  return undefined;
}

function isVerdict(v: unknown): v is PreSendVerdict {
  const x = v as { action?: unknown; reason?: unknown; text?: unknown } | null;
  return (
    x?.action === 'allow' ||
    (x?.action === 'deny' && typeof x.reason === 'string') ||
    (x?.action === 'rewrite' && typeof x.text === 'string')
  );
}

/**
 * The send path's (and an edit's) one call: the text to store (the input's, or the hook's rewrite),
 * or FORBIDDEN with the hook's reason. Without a configured hook it answers the text at once.
 * `fileNames`: the attachments' file names (the caller read them: a send's from its uploads).
 */
export async function screenMessage<
  T extends { chatId: string; text?: string | undefined; attachments?: readonly unknown[] | undefined },
>(caller: Caller, input: T, fileNames: readonly string[] = []): Promise<T> {
  const hook = configuredHook();
  if (!hook) return input;
  // A module that cannot be loaded (it throws, or exports no function) fails as a hook that throws.
  const fn = await hook.catch((error: unknown) => {
    logger.error('pre-send hook could not be loaded: fallback', { error });
    return (): PreSendVerdict => {
      throw error;
    };
  });
  const settings = hookSettingsFromEnv();
  const verdict = await askHook(
    fn,
    {
      chatId: input.chatId,
      senderId: caller.userId,
      senderName: caller.name,
      text: input.text ?? '',
      attachmentCount: input.attachments?.length ?? 0,
      fileNames,
    },
    settings,
  );
  if (!verdict) {
    if (settings.fallback === 'deny') throw new HookRefusal(FAILED_CHECK, true);
    return input;
  }
  if (verdict.action === 'deny') {
    throw new HookRefusal(refusalSentence(verdict.reason), false);
  }
  if (verdict.action !== 'rewrite') return input;
  if (usableRewrite(verdict.text, input.text ?? '')) return { ...input, text: verdict.text };
  // A rewrite the contract would refuse from a client (too long, blank, control characters) is not
  // stored, and neither is the original: that would let the unfiltered text through (a text padded
  // close to the limit, so that a lengthening mask overflows it). The send is refused, for good.
  const chars = [...verdict.text].length;
  logger.warn('pre-send hook rewrote into a text the contract refuses: refused', { chars });
  throw new HookRefusal(
    chars > LIMITS.textMaxChars
      ? `"text" would be longer than ${LIMITS.textMaxChars} characters once filtered; shorten it.`
      : '"text" could not be filtered into a text that can be stored.',
    false,
  );
}

/** A rewrite holds to the text rules of a send (an attachments-only message may stay without text). */
function usableRewrite(text: string, original: string): boolean {
  return v.is(messageText(), text) || (text === '' && original === '');
}
