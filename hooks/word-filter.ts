/**
 * An example pre-send hook (docs/hooks.md): refuses messages with a denied word and masks others.
 * An attachment's file name with a denied or masked word refuses the message (names are not
 * rewritten).
 *
 *   WORD_FILTER_DENY  comma-separated words that refuse the message (default: none)
 *   WORD_FILTER_MASK  comma-separated words masked as `d***` (default: darn, heck)
 *
 * Configure it with PRE_SEND_HOOK=hooks/word-filter.ts (npm run dev -- --hook hooks/word-filter.ts),
 * or the stack's `preSendHook` context on AWS.
 */
import type { PreSendMessage, PreSendVerdict } from '../lambdas/domain/hooks.ts';

const words = (value: string | undefined, fallback: string[]): string[] =>
  value === undefined
    ? fallback
    : value
        .split(',')
        .map((w) => w.trim().toLowerCase())
        .filter(Boolean);

const literal = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const anyOf = (list: string[]) =>
  new RegExp(`(?<![\\p{L}\\p{N}])(?:${list.map(literal).join('|')})(?![\\p{L}\\p{N}])`, 'giu');

export function preSend(message: PreSendMessage): PreSendVerdict {
  const deny = words(process.env.WORD_FILTER_DENY, []);
  const mask = words(process.env.WORD_FILTER_MASK, ['darn', 'heck']);
  if (deny.length && anyOf(deny).test(message.text)) {
    return { action: 'deny', reason: 'This message contains a word that is not allowed here.' };
  }
  // A file name cannot be rewritten (only the text can): a denied or masked word in one refuses.
  const named = [...deny, ...mask];
  if (named.length && message.fileNames.some((name) => anyOf(named).test(name))) {
    return {
      action: 'deny',
      reason: 'An attachment\'s "fileName" contains a word that is not allowed here.',
    };
  }
  if (!mask.length) return { action: 'allow' };
  const masked = message.text.replace(anyOf(mask), (w) => `${[...w][0]}${'*'.repeat([...w].length - 1)}`);
  return masked === message.text ? { action: 'allow' } : { action: 'rewrite', text: masked };
}

export default preSend;
