import { describe, expect, it } from 'vitest';
import { type ChatClient, MemoryStore, type Message } from '../../client/src/index.ts';
import { abandonAllocation } from '../support/abandoned.ts';
import { eventually } from '../support/client.ts';
import { useTestStack } from '../support/stack.ts';
import { clientFor, gate, serverHistory, settled, socketFamily, useClients } from './support/e2e.ts';

const stack = useTestStack();
const { track, pair } = useClients(stack);

const texts = (client: ChatClient, chatId: string) => client.messages(chatId).map((m) => m.text);

/** Drops every socket of the family and waits until the client is back and caught up. */
async function reconnect(client: ChatClient, sockets: ReturnType<typeof socketFamily>): Promise<void> {
  sockets.dropAll();
  await eventually(() => client.state !== 'open');
  await settled(client);
}

describe('receipts made while away', () => {
  it('reach the sender on reconnect: one getChat for the chat with unread own messages, none once read', async () => {
    const g = gate();
    const sockets = socketFamily();
    const { alice, bob, aliceId, chatId } = await pair('receipts', { gate: g, WebSocket: sockets.WebSocket });
    const mine = await bob.sendMessage(chatId, 'read this while I am away');
    await eventually(() => alice.messages(chatId).length === 1);
    await settled(bob);
    g.close();
    sockets.dropAll();
    await eventually(() => bob.state === 'reconnecting');
    expect(await alice.markRead(chatId)).toBe(mine.seq);
    const asked = sockets.requests('getChat').length;
    g.open();
    await settled(bob);
    const alicesCursors = bob.chat(chatId)?.members?.find((m) => m.userId === aliceId);
    expect(alicesCursors?.lastReadSeq).toBe(mine.seq);
    expect(sockets.requests('getChat').slice(asked)).toEqual([expect.objectContaining({ chatId })]);
    // Everything bob wrote is read: the next reconnect asks for nobody's receipts.
    await reconnect(bob, sockets);
    expect(sockets.requests('getChat').length - asked).toBe(1);
  });
});

describe("a sender's own read cursor", () => {
  it('moves to each message they send, as the server moves it (no message.read comes for it)', async () => {
    const { alice, bob, aliceId, chatId } = await pair('sender-read');
    await bob.sendMessage(chatId, 'one');
    await eventually(() => alice.messages(chatId).length === 1);
    const aliceInBobsView = () => bob.chat(chatId)?.members?.find((m) => m.userId === aliceId)?.lastReadSeq;
    for (const [i, text] of ['two', 'three'].entries()) {
      const sent = await alice.sendMessage(chatId, text);
      await eventually(() => bob.messages(chatId).length === 2 + i);
      expect(aliceInBobsView()).toBe(sent.seq);
      // As the server holds it.
      const { chat } = await bob.request('getChat', { chatId });
      expect(chat.members.find((m) => m.userId === aliceId)?.lastReadSeq).toBe(sent.seq);
    }
  });
});

describe('a stored cursor ahead of the chat', () => {
  it.each([
    ['the sync cursor', { syncedVer: 50, lastVer: 0 }],
    ['the sync cursor and the chat version', { syncedVer: 50, lastVer: 50 }],
  ])('%s ahead (a restored store): reset drops what is held, reloads, and syncs on', async (_, ahead) => {
    const store = new MemoryStore();
    const { alice, bob, bobId, chatId } = await pair('ahead', { store });
    await alice.sendMessage(chatId, 'before');
    await eventually(() => bob.messages(chatId).length === 1);
    await settled(bob);
    bob.close();
    const held = store.chats.get(chatId);
    if (!held) throw new Error('bob stored no chat');
    const info = { ...held.info, lastVer: held.info.lastVer + ahead.lastVer };
    store.chats.set(chatId, { ...held, info, syncedVer: held.syncedVer + ahead.syncedVer });
    // A message the server never had (stored from another timeline): dropped by the reset.
    const first = store.messages.get(chatId)?.get(1) as Message;
    store.messages.get(chatId)?.set(7, { ...first, seq: 7, messageId: 'm_phantom', text: 'phantom' });
    await alice.sendMessage(chatId, 'after');

    const again = track(clientFor(stack, bobId, { store }));
    await settled(again);
    expect(texts(again, chatId)).toEqual(['before', 'after']);
    expect(again.messages(chatId)).toEqual(await serverHistory(again, chatId));
    expect(again.stats.resets).toBe(1);
    const { chat } = await again.request('getChat', { chatId });
    expect(again.chat(chatId)?.lastVer).toBe(chat.lastVer);
    await eventually(() => store.chats.get(chatId)?.syncedVer === chat.lastVer);
    expect([...(store.messages.get(chatId)?.keys() ?? [])].sort()).toEqual([1, 2]);
    // Caught up for good: live messages apply without holes.
    await alice.sendMessage(chatId, 'live');
    await eventually(() => again.messages(chatId).length === 3);
    await settled(again);
    expect(again.stats.resets).toBe(1);
  });
});

describe('the unread count over a void seq', () => {
  it('stays the count listChats gives, as messages arrive and as the user reads', async () => {
    const sockets = socketFamily();
    const { alice, bob, chatId } = await pair('void', { WebSocket: sockets.WebSocket });
    const listed = async () =>
      (await bob.request('listChats', { limit: 100 })).chats.find((c) => c.chatId === chatId)?.unreadCount;
    const first = await alice.sendMessage(chatId, 'first');
    await eventually(() => bob.messages(chatId).length === 1);
    await settled(bob);
    // Seq 2 is abandoned; the reconnect's listChats fills it with a void and does not count it.
    await abandonAllocation(stack, chatId);
    await reconnect(bob, sockets);
    expect(bob.chat(chatId)?.unreadCount).toBe(1);
    await alice.sendMessage(chatId, 'second');
    await eventually(() => bob.messages(chatId).length === 2);
    await settled(bob);
    expect(await listed()).toBe(2);
    expect(bob.chat(chatId)?.unreadCount).toBe(2);
    await bob.markRead(chatId, first.messageId);
    expect(await listed()).toBe(1);
    expect(bob.chat(chatId)?.unreadCount).toBe(1);
    await bob.markRead(chatId);
    expect(bob.chat(chatId)?.unreadCount).toBe(0);
    expect(await listed()).toBe(0);
  });
});
