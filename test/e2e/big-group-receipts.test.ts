/**
 * Receipts in a group bigger than a Chat lists (lambdas/domain/receipts.ts): `readMessage` posts
 * `message.read` to the reader's own sockets only, and `markDelivered` posts nothing, where every
 * receipt used to go to every member (about N² posts per message). The cursors are still stored, and
 * `getChat` lists them. A group of three is unchanged: every member hears of both, unless its
 * roster lists more than 200 open sockets (the posts follow the sockets): then it is as a big group.
 *
 * `markDelivered` checks the seq against the chat's META, read by key: it reads no member list in
 * such a group, where it read all of it (303 items here, ~75 units at 1,000 members) whenever the
 * container's cached head did not know the seq yet, as for the newest message.
 *
 * Posts are counted where the handlers make them (their Management API client: counting-client.ts),
 * member lists where they are read (`ChatRepository.getWithMembers`, spied on in this process, where
 * the local stack runs the handlers).
 */
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import { ChatRepository } from '../../lambdas/data/chats.ts';
import { deps } from '../../lambdas/domain/deps.ts';
import { setClients } from '../../lambdas/shared/clients.ts';
import {
  anotherSocket,
  connectUser,
  eventsOf,
  getChat,
  makeGroup,
  memberOf,
  sendText,
  settle,
  type UserSocket,
} from '../support/chat.ts';
import { countingClient, type PostRecord } from '../support/counting-client.ts';
import { BIG_GROUP_TIMEOUTS, uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack({ timeoutSeconds: BIG_GROUP_TIMEOUTS });
const posts: PostRecord[] = [];
let listReads: MockInstance<ChatRepository['getWithMembers']>;

beforeAll(() => {
  setClients({ managementClient: countingClient(stack.managementEndpoint, posts) });
  listReads = vi.spyOn(ChatRepository.prototype, 'getWithMembers');
});
afterAll(() => {
  setClients({ managementClient: undefined });
  listReads.mockRestore();
});

describe('receipts by group size', { timeout: 120_000 }, () => {
  let ann: UserSocket;
  let bob: UserSocket;
  let bob2: UserSocket;
  let cat: UserSocket;
  let all: UserSocket[];

  beforeAll(async () => {
    ann = await connectUser(stack, uniqueId('ann'));
    bob = await connectUser(stack, uniqueId('bob'));
    bob2 = await anotherSocket(stack, bob);
    cat = await connectUser(stack, uniqueId('cat'));
    all = [ann, bob, bob2, cat];
  });

  /** The sockets posted to while `action` ran (every handler finished), sorted. */
  async function postedBy(action: () => Promise<unknown>): Promise<string[]> {
    await settle(stack, ...all);
    const mark = posts.length;
    await action();
    await settle(stack, ...all);
    return posts
      .slice(mark)
      .map((p) => p.connectionId)
      .sort();
  }
  const socketsOf = (...sockets: UserSocket[]) => sockets.map((s) => s.connectionId).sort();

  it('in a group of more than 200: message.read to the reader’s own sockets only, message.delivered to nobody (no member list read)', async () => {
    const offline = Array.from({ length: 300 }, () => uniqueId('off'));
    const chat = await makeGroup(ann, [bob.userId, cat.userId, ...offline], 'big');
    expect(chat.memberCount).toBe(303);
    const { chatId } = chat;
    const m = await sendText(ann, chatId, 'hello all');

    const delivered = () => bob.ok('markDelivered', { chatId, seq: m.seq });
    await settle(stack, ...all);
    // On AWS markDelivered is a function of its own, whose containers' cached heads only its own
    // reads bring up to date (here the sends' container is the same one): a head that does not know
    // the newest message yet, or none, as here.
    deps().store.heads.forget(chatId);
    listReads.mockClear();
    expect(await postedBy(delivered)).toEqual([]);
    expect(listReads).not.toHaveBeenCalled(); // the newest message's seq, vouched for by META
    const read = () => bob.ok('readMessage', { chatId, messageId: m.messageId });
    expect(await postedBy(read)).toEqual(socketsOf(bob, bob2));
    expect(eventsOf(bob2, 'message.read', (f) => f.chatId === chatId)).toEqual([
      { type: 'message.read', chatId, userId: bob.userId, lastReadSeq: m.seq },
    ]);
    for (const socket of [ann, cat]) {
      expect(eventsOf(socket, 'message.read', (f) => f.chatId === chatId)).toEqual([]);
      expect(eventsOf(socket, 'message.delivered', (f) => f.chatId === chatId)).toEqual([]);
    }
    // The cursors are stored: whoever shows them reads them with getChat.
    expect(memberOf(await getChat(ann, chatId), bob.userId)).toMatchObject({
      lastReadSeq: m.seq,
      lastDeliveredSeq: m.seq,
    });
  });

  it('in a small group with more than 200 sockets online: as in a group of more than 200', async () => {
    const { chatId } = await makeGroup(ann, [bob.userId, cat.userId], 'busy');
    const m = await sendText(ann, chatId, 'hello busy');
    // 200 more sockets of ann's listed in the roster (as 20 members with 10 devices each would be):
    // 203 in all.
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    await deps().store.rosters.add(
      Array.from({ length: 200 }, (_, i) => ({
        chatId,
        userId: ann.userId,
        connectionId: `busy-${i}`,
        expiresAt,
      })),
    );
    await settle(stack, ...all);
    listReads.mockClear();
    const delivered = () => bob.ok('markDelivered', { chatId, seq: m.seq });
    expect(await postedBy(delivered)).toEqual([]);
    expect(listReads).not.toHaveBeenCalled(); // markDelivered reads the members only to fan out
    const read = () => bob.ok('readMessage', { chatId, messageId: m.messageId });
    expect(await postedBy(read)).toEqual(socketsOf(bob, bob2));
    for (const socket of [ann, cat]) {
      expect(eventsOf(socket, 'message.read', (f) => f.chatId === chatId)).toEqual([]);
      expect(eventsOf(socket, 'message.delivered', (f) => f.chatId === chatId)).toEqual([]);
    }
    // The others learn of it from getChat.
    expect(memberOf(await getChat(ann, chatId), bob.userId)).toMatchObject({
      lastReadSeq: m.seq,
      lastDeliveredSeq: m.seq,
    });
  });

  it('in a small group: every member hears of a read, the others of a delivery (unchanged)', async () => {
    const { chatId } = await makeGroup(ann, [bob.userId, cat.userId], 'small');
    const m = await sendText(ann, chatId, 'hello');

    const delivered = () => bob.ok('markDelivered', { chatId, seq: m.seq });
    expect(await postedBy(delivered)).toEqual(socketsOf(ann, cat));
    const read = () => bob.ok('readMessage', { chatId, messageId: m.messageId });
    expect(await postedBy(read)).toEqual(socketsOf(ann, bob, bob2, cat));
    for (const socket of [ann, cat]) {
      expect(eventsOf(socket, 'message.delivered', (f) => f.chatId === chatId)).toEqual([
        { type: 'message.delivered', chatId, userId: bob.userId, lastDeliveredSeq: m.seq },
      ]);
    }
  });
});
