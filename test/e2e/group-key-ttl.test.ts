/**
 * Group keys (clientChatId) expire: each item carries a `ttl` 30 days after its last claim, whichever
 * request claimed it (createChat, an invite into a direct chat) and however big its group (a group
 * of 99 or more puts its key twice: pending, then with META). Before, they were kept forever.
 */
import { describe, expect, it } from 'vitest';
import { GROUP_KEY_TTL_SECONDS } from '../../lambdas/data/items.ts';
import { connectUsers, makeDirect, type UserSocket } from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

/** The `ttl` of `userId`'s key `clientChatId` (epoch seconds). */
async function keyTtl(userId: string, clientChatId: string): Promise<number> {
  const item = (await stack.items(`USER#${userId}`)).find((i) => i.sk === `CCID#${clientChatId}`);
  return Number(item?.ttl);
}

/** Whether `ttl` is `GROUP_KEY_TTL_SECONDS` after a moment between `from` and now (epoch ms). */
const fromNow = (ttl: number, from: number) =>
  ttl >= Math.floor(from / 1000) + GROUP_KEY_TTL_SECONDS &&
  ttl <= Math.ceil(Date.now() / 1000) + GROUP_KEY_TTL_SECONDS;

describe('group keys expire', () => {
  it('30 days after their claim: an invite’s, a createChat’s, and a big group’s completed key', async () => {
    const [alice, bob] = (await connectUsers(stack, 2, 'ttl')) as [UserSocket, UserSocket];
    const from = Date.now();
    const direct = await makeDirect(alice, bob.userId);
    const viaInvite = uniqueId('k');
    await alice.ok('invite', { chatId: direct.chatId, userIds: [uniqueId('x')], clientChatId: viaInvite });
    const viaCreate = uniqueId('k');
    await alice.ok('createChat', {
      kind: 'group',
      name: 'T',
      memberIds: [bob.userId],
      clientChatId: viaCreate,
    });
    // More than one transaction holds: the pending key, then the key with META.
    const big = uniqueId('k');
    const others = Array.from({ length: 100 }, (_, i) => uniqueId(`t${i}`));
    await alice.ok('createChat', { kind: 'group', name: 'Big', memberIds: others, clientChatId: big });
    for (const key of [viaInvite, viaCreate, big]) {
      const ttl = await keyTtl(alice.userId, key);
      expect({ key, ok: fromNow(ttl, from) }).toEqual({ key, ok: true });
    }
    expect(GROUP_KEY_TTL_SECONDS).toBe(30 * 24 * 60 * 60); // as documented (docs/data-model.md, protocol)
  });
});
