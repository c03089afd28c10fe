/**
 * The read state and chat list a client holds against the server's word, for the soak: which chats
 * it holds, and of each its own read cursor, unread count, member count, owner, mute and peer
 * (listChats of the user), and every member with role and read cursor (getChat). The server is asked through readers of their own (one per user, made here):
 * the answers a client gets to its own requests land in its replica, so asking through the clients
 * compared would hide what they missed.
 */
import type { ChatClient } from '../../../client/src/index.ts';
import { eventually } from '../../support/client.ts';
import type { TestStack } from '../../support/stack.ts';
import { clientFor, settled } from './e2e.ts';

/** What is compared of one chat. */
function held(c: ChatClient, chatId: string) {
  const i = c.chat(chatId);
  return {
    unreadCount: i?.unreadCount,
    lastReadSeq: i?.lastReadSeq,
    memberCount: i?.memberCount,
    ownerId: i?.ownerId,
    mutedUntil: i?.mutedUntil,
    peerId: i?.peerId,
    reads: (i?.members ?? []).map((m) => `${m.userId}:${m.role}:r${m.lastReadSeq}`).sort(),
  };
}

type Held = ReturnType<typeof held>;

/**
 * The differences left once they had `timeoutMs` to vanish (the last events may still be landing):
 * one line per client and chat that differs, `[]` when every client agrees with the server.
 */
export async function readStateDiffs(
  stack: TestStack,
  clients: readonly ChatClient[],
  chatsOf: (userId: string) => readonly string[],
  timeoutMs = 15_000,
): Promise<string[]> {
  const users = [...new Set(clients.map((c) => c.userId))];
  const readers = new Map(users.map((u) => [u, clientFor(stack, u, { requestTimeoutMs: 30_000 })]));
  try {
    await Promise.all([...readers.values()].map((r) => settled(r, 60_000)));
    const server = async () => {
      const truth = new Map<string, Held | string[]>();
      for (const [userId, reader] of readers) {
        const { chats } = await reader.request('listChats', { limit: 100 }, { retries: 5 });
        truth.set(userId, chats.map((x) => x.chatId).sort());
        for (const chatId of chatsOf(userId)) {
          const s = chats.find((x) => x.chatId === chatId);
          const { chat } = await reader.request('getChat', { chatId }, { retries: 5 });
          truth.set(`${userId}/${chatId}`, {
            unreadCount: s?.unreadCount,
            lastReadSeq: s?.lastReadSeq,
            memberCount: s?.memberCount,
            ownerId: s?.ownerId,
            mutedUntil: s?.mutedUntil,
            peerId: s?.peerId,
            reads: chat.members.map((m) => `${m.userId}:${m.role}:r${m.lastReadSeq}`).sort(),
          });
        }
      }
      return truth;
    };
    const diffs = (truth: Map<string, Held | string[]>) =>
      clients.flatMap((c, i) => {
        const list = JSON.stringify(
          c
            .chats()
            .map((x) => x.chatId)
            .sort(),
        );
        const listed = JSON.stringify(truth.get(c.userId));
        return [
          ...(list === listed ? [] : [`client ${i} chats: held ${list}, server ${listed}`]),
          ...chatsOf(c.userId).flatMap((chatId) => {
            const mine = JSON.stringify(held(c, chatId));
            const theirs = JSON.stringify(truth.get(`${c.userId}/${chatId}`));
            return mine === theirs ? [] : [`client ${i} chat ${chatId}: held ${mine}, server ${theirs}`];
          }),
        ];
      });
    let left: string[] = [];
    await eventually(async () => {
      left = diffs(await server());
      return left.length === 0;
    }, timeoutMs).catch(() => undefined);
    return left;
  } finally {
    for (const r of readers.values()) r.close();
  }
}
