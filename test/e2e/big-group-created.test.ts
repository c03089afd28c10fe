/**
 * `chat.created` of a new group of more than 200 members (a Chat lists at most 200): each member's
 * Chat lists their own entry right after the owner, as getChat's and sync's do (their membership:
 * joinedAt, read cursors). Before, every member got the owner then the 199 earliest joiners, so a
 * member sorted later found no entry of their own. Each socket still gets one event, and a repeat
 * of the request (its clientChatId) tells the members again the same way.
 */
import { describe, expect, it } from 'vitest';
import { ROUTE_TIMEOUT_SECONDS } from '../../lambdas/shared/config.ts';
import { FANOUT_WORKER } from '../../lib/workers.ts';
import { type Chat, connectUser, eventsOf, forChat, settle, type UserSocket } from '../support/chat.ts';
import { BIG_GROUP_TIMEOUTS, uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack({ timeoutSeconds: BIG_GROUP_TIMEOUTS });

/**
 * Every event sent so far has arrived: the requests are over, and so are the fan-out worker's jobs
 * (the request may queue the posts it has no time left for), then a ping on each socket.
 */
async function drained(...sockets: UserSocket[]): Promise<void> {
  await stack.gateway.idle();
  await stack.queues.get(FANOUT_WORKER.name)?.idle();
  await settle(stack, ...sockets);
}

const listedIds = (chat: Chat) => chat.members.map((m) => m.userId);

/** The Chats of the `chat.created` events `socket` got about `chatId`. */
const createdChats = (socket: UserSocket, chatId: string) =>
  eventsOf(socket, 'chat.created', forChat(chatId)).map((e) => e.chat as Chat);

describe('chat.created of a group of more than 200 members', { timeout: 120_000 }, () => {
  it('runs createChat with the longer local timeout (BIG_GROUP_TIMEOUTS), every other route as deployed', () => {
    const timeouts = new Map(stack.gateway.options.routes.map((r) => [r.routeKey, r.timeoutSeconds]));
    expect(timeouts.get('createChat')).toBe(30);
    expect(timeouts.get('invite')).toBe(ROUTE_TIMEOUT_SECONDS);
    expect(new Set([...timeouts.values()])).toEqual(new Set([30, ROUTE_TIMEOUT_SECONDS]));
  });

  it("lists each member's own entry after the owner, once per socket, again on a repeat", async () => {
    const owner = await connectUser(stack, uniqueId('ann'));
    // After the others by id (they all joined at once: sorted by id): beyond the first 200.
    const bob = await connectUser(stack, uniqueId('zoe'));
    const carol = await connectUser(stack, uniqueId('zoz'));
    const others = Array.from({ length: 201 }, () => uniqueId('off'));
    const request = {
      kind: 'group',
      name: 'Big',
      memberIds: [...others, bob.userId, carol.userId],
      clientChatId: uniqueId('k'),
    };
    const ack = await owner.request('createChat', request, 60_000);
    expect(ack).toMatchObject({ type: 'ack', created: true });
    const chat = ack.chat as Chat;
    expect(chat.memberCount).toBe(204);
    await drained(owner, bob, carol);

    for (const socket of [owner, bob, carol]) {
      const told = createdChats(socket, chat.chatId);
      expect(told).toHaveLength(1);
      const [mine] = told as [Chat];
      expect(mine).toMatchObject({ chatId: chat.chatId, memberCount: 204 });
      expect(mine.members).toHaveLength(200);
      expect(new Set(listedIds(mine)).size).toBe(200);
      expect(listedIds(mine)[0]).toBe(owner.userId);
      const own = mine.members.find((m) => m.userId === socket.userId);
      expect(own).toMatchObject({ lastReadSeq: 0, lastDeliveredSeq: 0, joinedAt: chat.createdAt });
    }

    // The repeat (its ack lost, say) tells the members again: each again finds their own entry.
    const again = await owner.request('createChat', request, 60_000);
    expect(again).toMatchObject({ type: 'ack', created: false, chat: { chatId: chat.chatId } });
    await drained(owner, bob, carol);
    for (const socket of [bob, carol]) {
      const told = createdChats(socket, chat.chatId);
      expect(told).toHaveLength(2);
      expect(told[1]?.members.some((m) => m.userId === socket.userId)).toBe(true);
    }
  });
});
