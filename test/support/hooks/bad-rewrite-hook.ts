/**
 * A pre-send hook that rewrites into a text the contract refuses (the bad-rewrite test): "long"
 * appends 4,000 characters, "blank" answers spaces, "bell" adds a control character; anything else
 * is allowed.
 */
import type { PreSendMessage, PreSendVerdict } from '../../../lambdas/domain/hooks.ts';

export default function badRewriteHook(message: PreSendMessage): PreSendVerdict {
  if (message.text.includes('long')) return { action: 'rewrite', text: `${message.text}${'x'.repeat(4000)}` };
  if (message.text.includes('blank')) return { action: 'rewrite', text: '   ' };
  if (message.text.includes('bell')) return { action: 'rewrite', text: `${message.text}\u0007` };
  return { action: 'allow' };
}
