/**
 * The module `#pre-send-hook` names (package.json "imports") when no hook is bundled: it exports no
 * hook. A stack with the `preSendHook` setting replaces it, in the bundles of the functions that send
 * (lib/pre-send-hook.ts), with the configured module through an esbuild alias; `npm run dev` and the
 * tests keep this one and load a hook from `PRE_SEND_HOOK` instead (hooks.ts).
 */
import type { PreSendHook } from './hooks.ts';

export const preSend: PreSendHook | undefined = undefined;
export default preSend;
