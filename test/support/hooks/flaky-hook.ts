/**
 * A pre-send hook module whose loading fails while `FLAKY_HOOK_BROKEN` is set when it is imported
 * (a passing failure: a word list not there yet); loaded without it, it masks every text as "healed".
 */
import type { PreSendVerdict } from '../../../lambdas/domain/hooks.ts';

if (process.env.FLAKY_HOOK_BROKEN) throw new Error('broken for now (FLAKY_HOOK_BROKEN)');

export default (): PreSendVerdict => ({ action: 'rewrite', text: 'healed' });
