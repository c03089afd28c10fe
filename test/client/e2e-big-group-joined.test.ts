/**
 * Someone invited into a group of more than 200 members (a Chat lists at most 200) finds their own
 * entry in `chat.joined`, and so their read cursor: the history before the invite is not unread for
 * them. Before, the Chat listed the owner then the earliest joiners; the client, which takes its
 * cursor from its own entry (client/src/members.ts), counted every message as unread. A member
 * beyond the first 200 also finds their own entry in `getChat` and in a `sync` answer's members.
 */
import { describe, expect, it } from 'vitest';
import type { Chat } from '../../client/src/index.ts';
import { headQuietMs } from '../../lambdas/domain/timing.ts';
import { eventually } from '../support/client.ts';
import { BIG_GROUP_TIMEOUTS, uniqueId, useTestStack } from '../support/stack.ts';
import { clientFor, settled, useClients, useShortWriteTiming } from './support/e2e.ts';

const stack = useTestStack({ timeoutSeconds: BIG_GROUP_TIMEOUTS });
const { track } = useClients(stack);
// The invite's version settles sooner (the write path's bounds shortened): see the wait below.
useShortWriteTiming();

describe('invited into a group of more than 200 members with history', { timeout: 180_000 }, () => {
  it('has nothing unread in the official client, and every Chat it gets lists its own entry', async () => {
    const ann = track(clientFor(stack, uniqueId('ann'), { requestTimeoutMs: 60_000 }));
    const daveId = uniqueId('dave');
    const dave = track(clientFor(stack, daveId));
    const bobId = uniqueId('zoe'); // after the others by id: the same joinedAt, sorted by id
    const bob = track(clientFor(stack, bobId));
    await Promise.all([settled(ann), settled(dave), settled(bob)]);
    const others = Array.from({ length: 201 }, () => uniqueId('off'));
    // bob (zoe…) is listed last by join order (then id): beyond the first 200.
    const { chat } = await ann.request(
      'createChat',
      { kind: 'group', name: 'g', memberIds: [...others, bobId] },
      { timeoutMs: 60_000 },
    );
    for (let i = 0; i < 8; i++) await bob.sendMessage(chat.chatId, `old ${i}`);
    const invited = (await ann.request('invite', { chatId: chat.chatId, userIds: [daveId] })).chat as Chat;
    await eventually(() => dave.chat(chat.chatId) !== undefined && dave.messages(chat.chatId).length === 8);
    // Dave's sync cursor passes the invite's version (no item to return) once the head is quiet
    // (headQuietMs, 6.5 s here): settling takes that long, plus a loaded run's slowness.
    await settled(dave, headQuietMs() + 30_000);
    const info = dave.chat(chat.chatId);
    expect({ unread: info?.unreadCount, read: info?.lastReadSeq }).toEqual({ unread: 0, read: 8 });
    // The owner first, then who joined, then the others.
    expect(invited.memberCount).toBe(204);
    expect(invited.members.slice(0, 2).map((m) => m.userId)).toEqual([chat.ownerId, daveId]);
    const summary = (await dave.request('listChats', {})).chats.find((c) => c.chatId === chat.chatId);
    expect(summary?.unreadCount).toBe(0);
    const own = (c: Chat, id: string) => c.members.find((m) => m.userId === id);
    expect(
      own((await bob.request('getChat', { chatId: chat.chatId })).chat as Chat, bobId)?.lastReadSeq,
    ).toBe(8);
    const synced = await bob.request('sync', { chatId: chat.chatId, sinceVer: 0, limit: 1 });
    expect(synced.members?.some((m) => m.userId === bobId)).toBe(true);
  });
});
