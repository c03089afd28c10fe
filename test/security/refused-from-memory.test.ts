/**
 * A `sendMessage` frame refused from memory (this instance has seen the sender's window spent) runs
 * nothing and writes nothing: `sendMessage` starts beside its rate-limit lease (`limitBeside`), and
 * its clientMessageId claim used to be written (into the partition of whatever chat the frame named,
 * one the sender is not in included) and deleted again on every refused frame. Only a decision that
 * needs a lease write lets the send start beside it (ws-middleware.ts, rate-limiter.ts).
 */
import { describe, expect, it } from 'vitest';
import { RATE_LIMIT_FACTOR_ENV, rateLimitOf } from '../../lambdas/shared/rate-limits.ts';
import { closeAll, connectUser, makeDirect } from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { useInterceptedStack } from '../support/handler-client.ts';
import { uniqueId } from '../support/stack.ts';

const calls: { command: string; input: string }[] = [];
let recording = false;
const stack = useInterceptedStack((command, input) => {
  if (recording) calls.push({ command, input });
});

const WRITES = /^(Put|Delete|Update|TransactWrite|BatchWrite)/;

describe('sendMessage refused from memory', () => {
  it('writes nothing, into its own chat or another, and leaves the socket usable', async () => {
    const saved = process.env[RATE_LIMIT_FACTOR_ENV];
    process.env[RATE_LIMIT_FACTOR_ENV] = '0.04'; // sendMessage: 12 a minute
    try {
      const limit = rateLimitOf('sendMessage');
      if (!limit) throw new Error('sendMessage has no rate limit');
      const sender = await connectUser(stack, uniqueId('flooder'));
      const peer = await connectUser(stack, uniqueId('peer'));
      const other = await connectUser(stack, uniqueId('other'));
      const own = await makeDirect(sender, peer.userId);
      const theirs = await makeDirect(peer, other.userId); // the sender is not a member
      // Spend the window one frame at a time, until this instance has been told it is spent.
      let first: Frame | undefined;
      for (let i = 0; i <= limit.max && first === undefined; i++) {
        const reply = await sender.request('sendMessage', {
          chatId: own.chatId,
          text: `m${i}`,
          clientMessageId: `spend-${i}`,
        });
        if (reply.code === 'RATE_LIMITED') first = reply;
      }
      expect(first?.code).toBe('RATE_LIMITED');

      calls.length = 0;
      recording = true;
      const replies: Frame[] = [];
      for (const [chatId, n] of [
        [own.chatId, 10],
        [theirs.chatId, 5],
        ['no-such-chat', 5],
      ] as const) {
        for (let i = 0; i < n; i++) {
          replies.push(
            await sender.request('sendMessage', {
              chatId,
              text: `x${i}`,
              clientMessageId: `x-${chatId}-${i}`,
            }),
          );
        }
      }
      recording = false;

      for (const reply of replies) {
        expect(reply).toMatchObject({ type: 'error', action: 'sendMessage', code: 'RATE_LIMITED' });
        expect(reply.retryAfterMs).toBeGreaterThan(0);
        expect(reply.retryAfterMs).toBeLessThanOrEqual(limit.windowSeconds * 1000);
      }
      // Not a claim and its delete, not a read of any chat: nothing reached the table for them.
      expect(calls.filter((c) => WRITES.test(c.command))).toEqual([]);
      expect(calls.filter((c) => c.input.includes('CHAT#'))).toEqual([]);
      const claims = (await stack.items(`CHAT#${theirs.chatId}`)).filter((i) =>
        String(i.sk).startsWith('CMID#'),
      );
      expect(claims).toEqual([]);

      expect((await sender.request('ping')).type).toBe('pong');
      await closeAll(stack, sender, peer, other);
    } finally {
      recording = false;
      if (saved === undefined) delete process.env[RATE_LIMIT_FACTOR_ENV];
      else process.env[RATE_LIMIT_FACTOR_ENV] = saved;
    }
  });
});
