/**
 * The pre-send hook on AWS (docs/hooks.md): the configured module is bundled into the functions that
 * send (the `sendMessage` route and the scheduled-message dispatcher, which sends through the same
 * domain path) and into `editMessage`'s (an edit's new text is screened too). A static import cannot name a file chosen at synth, so the send path imports the
 * package-internal module `#pre-send-hook` (package.json "imports": a module exporting no hook), and
 * these functions' bundles alias it to the configured file (esbuild `--alias`, the mechanism the
 * bundles already use for the credential provider). The call site stays the one line in
 * `lambdas/domain/send.ts`; functions without the hook bundle the empty module and pay nothing.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { PRE_SEND_HOOK_ENV } from '../lambdas/domain/hooks.ts';
import { ROUTE_TIMEOUT_SECONDS } from '../lambdas/shared/config.ts';
import { BUNDLE, type BundleSettings } from './bundling.ts';
import { PROJECT_ROOT } from './chat-function.ts';

/** The module the send path imports; what a configured hook replaces in the bundle. */
export const PRE_SEND_HOOK_IMPORT = '#pre-send-hook';

/**
 * The functions whose bundles carry the hook: every function that runs `sendMessage`'s domain, and
 * `editMessage` (an edit's text is screened as a send's).
 */
export const PRE_SEND_HOOK_FUNCTIONS = ['SendMessage', 'ScheduledDispatcher', 'EditMessage'] as const;

export interface PreSendHookSettings {
  /** The hook module (TypeScript or JavaScript), relative to the repository root, e.g. `hooks/word-filter.ts`. */
  readonly module: string;
  /**
   * How long the hook may take before the fallback applies (ms, at most `PRE_SEND_HOOK_TIMEOUT_MAX_MS`).
   * @default 300 (the runtime's default)
   */
  readonly timeoutMs?: number;
  /**
   * What a hook that times out or throws answers.
   * @default 'allow'
   */
  readonly fallback?: 'allow' | 'deny';
  /**
   * The hook's own settings, as environment variables of the functions that run it (e.g.
   * `WORD_FILTER_DENY` for the example word filter).
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * The longest `timeoutMs`: half of the sending routes' timeout (`ROUTE_TIMEOUT_SECONDS`, 10 s), the
 * other half left for the send itself (its allocation and writes) once the fallback applies. Longer,
 * a hanging hook would have Lambda stop the invocation before the fallback: no answer at all.
 */
export const PRE_SEND_HOOK_TIMEOUT_MAX_MS = (ROUTE_TIMEOUT_SECONDS * 1000) / 2;

/** Names the hook may not set: the runtime's, the app's and Lambda's own. */
const RESERVED_ENV = /^(AWS_|LAMBDA_|_)|^(TABLE_NAME|LOG_LEVEL|NODE_OPTIONS|TZ|PRE_SEND_HOOK.*)$/;

/** Checks the settings; throws a sentence naming what is wrong. */
export function checkPreSendHook(settings: PreSendHookSettings): void {
  const path = resolve(PROJECT_ROOT, settings.module);
  const inside = relative(PROJECT_ROOT, path);
  if (isAbsolute(settings.module) || inside.startsWith('..')) {
    throw new Error(`preSendHook must be a path inside the repository (got ${settings.module})`);
  }
  if (!/\.(ts|mts|js|mjs)$/.test(path) || !existsSync(path) || !statSync(path).isFile()) {
    throw new Error(`preSendHook ${settings.module} is not a .ts or .js file of the repository`);
  }
  const { timeoutMs, fallback } = settings;
  if (
    timeoutMs !== undefined &&
    !(Number.isInteger(timeoutMs) && timeoutMs > 0 && timeoutMs <= PRE_SEND_HOOK_TIMEOUT_MAX_MS)
  ) {
    throw new Error(
      `preSendHookTimeoutMs must be a whole number of milliseconds, 1–${PRE_SEND_HOOK_TIMEOUT_MAX_MS} ` +
        `(half of SendMessage's and EditMessage's ${ROUTE_TIMEOUT_SECONDS} s timeout, so that a hanging hook ` +
        `gets its fallback before Lambda stops the send) (got ${timeoutMs})`,
    );
  }
  if (fallback !== undefined && fallback !== 'allow' && fallback !== 'deny') {
    throw new Error(`preSendHookFallback must be allow or deny (got ${String(fallback)})`);
  }
  for (const [name, value] of Object.entries(settings.environment ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || RESERVED_ENV.test(name)) {
      throw new Error(`preSendHookEnv may not set ${name}`);
    }
    if (typeof value !== 'string') throw new Error(`preSendHookEnv.${name} must be a string`);
  }
}

/** What a function that runs the hook is built with: its bundle settings and its extra environment. */
export interface HookedFunction {
  readonly bundle: BundleSettings;
  readonly environment: Readonly<Record<string, string>>;
}

/** The bundle and environment of a function that sends, with the hook configured. */
export function preSendHookFunction(settings: PreSendHookSettings): HookedFunction {
  checkPreSendHook(settings);
  return {
    bundle: {
      ...BUNDLE,
      aliases: { ...BUNDLE.aliases, [PRE_SEND_HOOK_IMPORT]: resolve(PROJECT_ROOT, settings.module) },
    },
    environment: {
      ...settings.environment,
      [PRE_SEND_HOOK_ENV.module]: relative(PROJECT_ROOT, resolve(PROJECT_ROOT, settings.module)),
      ...(settings.timeoutMs === undefined
        ? {}
        : { [PRE_SEND_HOOK_ENV.timeoutMs]: String(settings.timeoutMs) }),
      ...(settings.fallback === undefined ? {} : { [PRE_SEND_HOOK_ENV.fallback]: settings.fallback }),
    },
  };
}

/** For `name`'s function: the hooked bundle and environment when a hook is configured and it sends. */
export function hookFor(name: string, settings: PreSendHookSettings | undefined): HookedFunction | undefined {
  if (!settings || !(PRE_SEND_HOOK_FUNCTIONS as readonly string[]).includes(name)) return undefined;
  return preSendHookFunction(settings);
}
