/**
 * A pre-send hook that refuses with an unclean sentence (the scheduled-hook test): escape sequences,
 * control characters, a line break, a bidirectional override and far more than 500 characters, with
 * astral ones where the cut falls. The author is shown it cleaned (`refusalSentence`).
 */
import type { PreSendVerdict } from '../../../lambdas/domain/hooks.ts';

export const UNCLEAN_REASON = `\u001b[31mNo\u001b[0m\u0007 links\n\there, \u202eplease ${'😀'.repeat(600)}`;
/** What the author reads: 500 code points, the last one whole. */
export const CLEANED_REASON = `No links here, please ${'😀'.repeat(478)}`;

export default function uncleanDenyHook(): PreSendVerdict {
  return { action: 'deny', reason: UNCLEAN_REASON };
}
