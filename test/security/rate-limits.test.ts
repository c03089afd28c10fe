/**
 * Issue 17, item 1: per-user rate limits, held across all of a user's sockets (and so across function
 * instances: the count lives in the table), answered `RATE_LIMITED` with `retryAfterMs`, writing
 * nothing, leaving the socket usable, and not touching other users.
 */
import { describe, expect, it } from 'vitest';
import {
  RATE_LIMIT_FACTOR_ENV,
  RATE_LIMITS,
  type RateLimit,
  rateLimitOf,
} from '../../lambdas/shared/rate-limits.ts';
import { anotherSocket, connectUser, history, listChats, makeDirect, settle } from '../support/chat.ts';
import type { Frame, TestClient } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

const codes = (replies: Frame[]) => replies.map((r) => (r.type === 'ack' ? 'ack' : String(r.code)));
const count = (list: string[], value: string) => list.filter((x) => x === value).length;

function expectRetryAfter(replies: Frame[], windowMs: number): void {
  for (const reply of replies.filter((r) => r.code === 'RATE_LIMITED')) {
    expect(Number.isInteger(reply.retryAfterMs)).toBe(true);
    expect(reply.retryAfterMs).toBeGreaterThan(0);
    expect(reply.retryAfterMs).toBeLessThanOrEqual(windowMs);
    expect(reply.message).toMatch(/too many/i);
  }
}

/** `total` frames of `action` at once, alternating between two sockets of one user. */
function flood(
  sockets: readonly [TestClient, TestClient],
  total: number,
  action: string,
  fields: (i: number) => Record<string, unknown>,
): Promise<Frame[]> {
  return Promise.all(
    Array.from({ length: total }, (_, i) =>
      (sockets[i % 2] as TestClient).request(action, fields(i), 45_000),
    ),
  );
}

/** Exactly `max` frames acknowledged and `extra` refused, each refusal telling when to retry. */
function expectLimited(replies: Frame[], limit: RateLimit, extra: number): void {
  const got = codes(replies);
  expect({ ack: count(got, 'ack'), limited: count(got, 'RATE_LIMITED') }).toEqual({
    ack: limit.max,
    limited: extra,
  });
  expectRetryAfter(replies, limit.windowSeconds * 1000);
}

describe('per-user rate limits', () => {
  it('createChat: the limit holds across the sockets of a user; refused frames write nothing', async () => {
    const limit = RATE_LIMITS.createChat;
    if (!limit) throw new Error('createChat has no rate limit');
    const first = await connectUser(stack, uniqueId('flood'));
    const second = await anotherSocket(stack, first);
    const peer = await connectUser(stack, uniqueId('peer'));
    const extra = 5;
    const replies = await flood([first, second], limit.max + extra, 'createChat', (i) => ({
      kind: 'group',
      name: `Flood ${i}`,
      memberIds: [peer.userId],
    }));
    expectLimited(replies, limit, extra);
    // Nothing was written for the refused ones: the peer is in exactly the acknowledged groups.
    expect((await listChats(peer)).filter((c) => c.ownerId === first.userId)).toHaveLength(limit.max);
    // The sockets stay usable, and another user is not limited by this one.
    expect((await first.request('ping')).type).toBe('pong');
    expect((await peer.request('createChat', { kind: 'group', name: 'Fine', memberIds: [] })).type).toBe(
      'ack',
    );
    await Promise.all([first.close(), second.close(), peer.close()]);
  });

  it('typing (which writes nothing else): limited too, and the refused ones are not fanned out', async () => {
    const limit = RATE_LIMITS.typing;
    if (!limit) throw new Error('typing has no rate limit');
    const typist = await connectUser(stack, uniqueId('typist'));
    const peer = await connectUser(stack, uniqueId('peer'));
    const chat = (await typist.ok('createChat', { kind: 'direct', userId: peer.userId })).chat as {
      chatId: string;
    };
    const extra = 4;
    const replies = await flood([typist, typist], limit.max + extra, 'typing', () => ({
      chatId: chat.chatId,
    }));
    expectLimited(replies, limit, extra);
    await settle(stack, peer, typist);
    expect(peer.events('typing')).toHaveLength(limit.max);
    await Promise.all([typist.close(), peer.close()]);
  });

  it('sendMessage (its lease is taken beside its claim): refused frames leave no message and no claim', async () => {
    // A small limit (scaled down) so that the flood is short; the window is shared as always.
    const saved = process.env[RATE_LIMIT_FACTOR_ENV];
    process.env[RATE_LIMIT_FACTOR_ENV] = '0.04';
    try {
      const limit = rateLimitOf('sendMessage');
      if (!limit) throw new Error('sendMessage has no rate limit');
      const sender = await connectUser(stack, uniqueId('chatty'));
      const second = await anotherSocket(stack, sender);
      const peer = await connectUser(stack, uniqueId('peer'));
      const { chatId } = await makeDirect(sender, peer.userId);
      const extra = 6;
      const replies = await flood([sender, second], limit.max + extra, 'sendMessage', (i) => ({
        chatId,
        text: `flood ${i}`,
        clientMessageId: `flood-${i}`,
      }));
      expectLimited(replies, limit, extra);
      // Stored: exactly the acknowledged messages, and one clientMessageId claim for each of them
      // (the claims the refused frames made beside their lease were given back).
      const acked = replies
        .filter((r) => r.type === 'ack')
        .map((r) => (r.message as { clientMessageId: string }).clientMessageId);
      const { messages: stored } = await history(peer, chatId, { limit: 100 });
      expect(stored.map((m) => m.clientMessageId).sort()).toEqual([...acked].sort());
      const claims = (await stack.items(`CHAT#${chatId}`)).filter((i) => String(i.sk).startsWith('CMID#'));
      expect(claims.map((c) => String(c.sk).split('#').at(-1)).sort()).toEqual([...acked].sort());
      expect((await sender.request('ping')).type).toBe('pong');
      await Promise.all([sender.close(), second.close(), peer.close()]);
    } finally {
      if (saved === undefined) delete process.env[RATE_LIMIT_FACTOR_ENV];
      else process.env[RATE_LIMIT_FACTOR_ENV] = saved;
    }
  });
});
