/**
 * Writes whose reads grow with the request or the chat count by what they read, as the expensive
 * reads do (lambdas/shared/rate-limits.ts `unitsPerFrame`: `createChat`, `invite`, `removeMember`,
 * `deleteChat`). Before, each counted one frame whatever it read: `createChat` of full groups checks
 * every member (the membership cap's count of their chats, their block items, their profiles), and a
 * user at its 20 a minute made the table read up to ~310,000 units a minute (docs/security.md "Reads
 * are limited too"). The charge comes after the frame ran (a debt): a write that happened is never
 * refused, the next frames are.
 */
import { describe, expect, it } from 'vitest';
import { store } from '../../lambdas/data/store.ts';
import { rateLimitOf } from '../../lambdas/shared/rate-limits.ts';
import { closeAll, connectUser, makeDirect, makeGroup } from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { BIG_GROUP_TIMEOUTS, uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack({ timeoutSeconds: BIG_GROUP_TIMEOUTS });

function limitOf(action: string) {
  const limit = rateLimitOf(action);
  if (!limit) throw new Error(`${action} has no rate limit`);
  return limit;
}

/** The frames `userId`'s current window of `action` has counted. */
async function framesOf(userId: string, action: string): Promise<number> {
  const window = (await stack.items(`LIMIT#${userId}`)).find((i) => i.sk === action);
  return Number(window?.count ?? 0);
}

describe('writes are charged by what they read', { timeout: 600_000 }, () => {
  it('a user creating full groups in a loop is refused long before the frame limit', async () => {
    const owner = await connectUser(stack, uniqueId('maker'));
    const limit = limitOf('createChat');
    // The same 999 people each time: from the second group on, each is in a chat already, so the
    // membership cap's count of their chats reads something for each (~0.5 R: ~500 R a group on
    // DynamoDB Local, which counts no unit for an item it does not find; on AWS more).
    const memberIds = Array.from({ length: 999 }, () => uniqueId('m'));
    const replies: Frame[] = [];
    while (replies.length < limit.max && !replies.some((r) => r.code === 'RATE_LIMITED')) {
      const name = `Full ${replies.length}`;
      replies.push(await owner.request('createChat', { kind: 'group', name, memberIds }, 60_000));
    }
    const acks = replies.filter((r) => r.type === 'ack');
    const limited = replies.filter((r) => r.code === 'RATE_LIMITED');
    expect(replies.filter((r) => r.type !== 'ack' && r.code !== 'RATE_LIMITED')).toEqual([]);
    expect(limited).toHaveLength(1);
    // ~500 R a group at 250 R a frame: 3 frames each after the first, ~8 groups in the window, not 20.
    expect(acks.length).toBeGreaterThan(1);
    expect(acks.length).toBeLessThan(limit.max / 2);
    for (const r of limited) {
      expect(r.retryAfterMs).toBeGreaterThan(0);
      expect(r.retryAfterMs).toBeLessThanOrEqual(limit.windowSeconds * 1000 * 2);
      expect(String(r.message)).toMatch(/too many createChat requests/i);
    }
    // Every group acknowledged exists (the frame that overdrew the window too: charges are after the
    // fact, never a refusal of what was done), and the refused one created nothing.
    expect(await store().chats.countMemberships(owner.userId)).toBe(acks.length);
    // Other actions have limits of their own: the socket stays usable.
    expect((await owner.request('listChats', { limit: 1 })).type).toBe('ack');
    await closeAll(stack, owner);
  });

  it('an ordinary createChat, invite, removal and deletion each count one frame', async () => {
    const owner = await connectUser(stack, uniqueId('plain'));
    const peer = await connectUser(stack, uniqueId('peer'));
    await makeDirect(owner, peer.userId);
    const group = await makeGroup(owner, [peer.userId, uniqueId('m'), uniqueId('m')]);
    expect(await framesOf(owner.userId, 'createChat')).toBe(2);
    await owner.ok('invite', { chatId: group.chatId, userIds: [uniqueId('i'), uniqueId('i')] });
    expect(await framesOf(owner.userId, 'invite')).toBe(1);
    await owner.ok('removeMember', { chatId: group.chatId, userId: peer.userId });
    expect(await framesOf(owner.userId, 'removeMember')).toBe(1);
    await owner.ok('deleteChat', { chatId: group.chatId });
    expect(await framesOf(owner.userId, 'deleteChat')).toBe(1);
    await closeAll(stack, owner, peer);
  });
});
