/**
 * The client end to end with the server half of issue 10: delta sync of edits, deletions and
 * reactions made while away, the cost of a reconnect, resume from a store by version, and delivery
 * receipts, against the real `sync` / `markDelivered` through the local gateway. Reactions need the
 * server's `react`, still `planned` in lib/routes.ts: that one test says so in its name and runs once
 * it is deployed.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../client/src/index.ts';
import { eventually } from '../support/client.ts';
import { useTestStack } from '../support/stack.ts';
import { clientFor, gate, serverHistory, settled, socketFamily, useClients } from './support/e2e.ts';

const stack = useTestStack();
const { track, pair } = useClients(stack);

describe('delta sync', () => {
  it('edits and deletions made while away arrive with one sync; the state equals the server exactly', async () => {
    const g = gate();
    const sockets = socketFamily();
    const { alice, bob, chatId } = await pair('away', { gate: g, WebSocket: sockets.WebSocket });
    const [m1, m2] = [await alice.sendMessage(chatId, 'one'), await alice.sendMessage(chatId, 'two')];
    await eventually(() => bob.messages(chatId).length === 2);
    await settled(bob);
    g.close();
    sockets.dropAll();
    await eventually(() => bob.state === 'reconnecting');
    await alice.editMessage(chatId, m1.messageId, 'one, edited while bob was away');
    await alice.deleteMessage(chatId, m2.messageId);
    await alice.sendMessage(chatId, 'three');
    const before = sockets.requests('sync').length;
    g.open();
    await settled(bob);
    expect(bob.messages(chatId)).toEqual(await serverHistory(bob, chatId));
    expect(bob.messages(chatId).map((m) => [m.text, m.deleted])).toEqual([
      ['one, edited while bob was away', false],
      ['', true],
      ['three', false],
    ]);
    expect(sockets.requests('sync').length - before).toBe(1);
  });

  it('a reconnect with nothing new costs one listChats and no sync', async () => {
    const sockets = socketFamily();
    const { alice, bob, chatId } = await pair('quiet', { WebSocket: sockets.WebSocket });
    await alice.sendMessage(chatId, 'hello');
    await eventually(() => bob.messages(chatId).length === 1);
    await settled(bob);
    const syncs = sockets.requests('sync').length;
    const lists = sockets.requests('listChats').length;
    sockets.dropAll();
    await eventually(() => bob.state !== 'open');
    await settled(bob);
    expect(sockets.requests('listChats').length - lists).toBe(1);
    expect(sockets.requests('sync').length - syncs).toBe(0);
  });

  it('resumes from a store with sync from the stored version, not from 0', async () => {
    const store = new MemoryStore();
    const { alice, bob, bobId, chatId } = await pair('resume', { store });
    await alice.sendMessage(chatId, 'before');
    await eventually(() => bob.messages(chatId).length === 1);
    await settled(bob);
    bob.close();
    await alice.sendMessage(chatId, 'after');
    const sockets = socketFamily();
    const again = track(clientFor(stack, bobId, { store, WebSocket: sockets.WebSocket }));
    await settled(again);
    const syncs = sockets.requests('sync').filter((r) => r.chatId === chatId);
    expect(syncs).toHaveLength(1);
    expect(syncs[0]?.sinceVer).toBeGreaterThan(0);
    expect(again.messages(chatId)).toEqual(await serverHistory(again, chatId));
  });

  it('reports delivery, batched: the sender hears message.delivered', async () => {
    const sockets = socketFamily();
    const { alice, bob, bobId, chatId } = await pair('delivered', { WebSocket: sockets.WebSocket });
    const delivered: number[] = [];
    alice.on('message.delivered', (e) => {
      if (e.userId === bobId) delivered.push(e.lastDeliveredSeq);
    });
    for (let i = 1; i <= 5; i++) await alice.sendMessage(chatId, `m${i}`);
    await eventually(() => delivered.includes(5), 15_000);
    // Batched: fewer calls than messages (at most one per interval, and the first at once).
    expect(sockets.requests('markDelivered').length).toBeLessThan(5);
    expect(alice.chat(chatId)?.members?.find((m) => m.userId === bobId)?.lastDeliveredSeq).toBe(5);
    expect(bob.chat(chatId)?.unreadCount).toBe(5);
  });

  it('messages that arrive while away are synced, then reported delivered once', async () => {
    const g = gate();
    const sockets = socketFamily();
    const { alice, bob, bobId, chatId } = await pair('away-delivered', {
      gate: g,
      WebSocket: sockets.WebSocket,
    });
    const delivered: number[] = [];
    alice.on('message.delivered', (e) => {
      if (e.userId === bobId) delivered.push(e.lastDeliveredSeq);
    });
    g.close();
    sockets.dropAll();
    await eventually(() => bob.state === 'reconnecting');
    const syncsBefore = sockets.requests('sync').length;
    const marksBefore = sockets.requests('markDelivered').length;
    for (let i = 1; i <= 3; i++) await alice.sendMessage(chatId, `away ${i}`);
    g.open();
    await settled(bob);
    expect(bob.messages(chatId).map((m) => m.text)).toEqual(['away 1', 'away 2', 'away 3']);
    expect(sockets.requests('sync').length - syncsBefore).toBe(1);
    await eventually(() => delivered.includes(3), 15_000);
    // One report after the sync, naming the newest seq held (not one per message).
    const marks = sockets.requests('markDelivered').slice(marksBefore);
    expect(marks.map((m) => m.seq)).toEqual([3]);
    expect(alice.chat(chatId)?.members?.find((m) => m.userId === bobId)?.lastDeliveredSeq).toBe(3);
  });

  it('back from away: sync brings the changes, the outbox resends once each (one ack lost), delivery follows', async () => {
    const g = gate();
    const sockets = socketFamily();
    const { alice, bob, bobId, chatId } = await pair('mixed', { gate: g, WebSocket: sockets.WebSocket });
    const delivered: number[] = [];
    alice.on('message.delivered', (e) => {
      if (e.userId === bobId) delivered.push(e.lastDeliveredSeq);
    });
    const first = await alice.sendMessage(chatId, 'first');
    await eventually(() => bob.messages(chatId).length === 1);
    await settled(bob);
    // Bob's send is stored, but its ack is lost with the network; Bob stays away for a while.
    g.close();
    sockets.cutOn((frame) => frame.type === 'ack' && frame.action === 'sendMessage');
    const lost = bob.sendMessage(chatId, 'ack lost', { clientMessageId: 'cm-mixed-lost' });
    await eventually(() => bob.state === 'reconnecting');
    const offline = bob.sendMessage(chatId, 'written offline');
    await alice.editMessage(chatId, first.messageId, 'first, edited');
    const gone = await alice.sendMessage(chatId, 'soon deleted');
    await alice.deleteMessage(chatId, gone.messageId);
    g.open();
    const [a, b] = await Promise.all([lost, offline]);
    await settled(bob);
    const server = await serverHistory(bob, chatId);
    expect(bob.messages(chatId)).toEqual(server);
    expect(server.filter((m) => m.clientMessageId === 'cm-mixed-lost')).toEqual([a]);
    expect(server.map((m) => [m.senderId === bobId ? 'bob' : 'alice', m.deleted ? null : m.text])).toEqual([
      ['alice', 'first, edited'],
      ['bob', 'ack lost'],
      ['alice', null],
      ['bob', 'written offline'],
    ]);
    expect(b.seq).toBe(4);
    expect(bob.stats.serverDuplicates).toBe(1);
    // Delivery reported after the sync: Alice's newest message Bob holds is seq 3 (the deleted one).
    await eventually(() => delivered.includes(3), 15_000);
  });

  it('reactions, live and made while away', async () => {
    const g = gate();
    const sockets = socketFamily();
    const { alice, bob, chatId } = await pair('react', { gate: g, WebSocket: sockets.WebSocket });
    const m = await alice.sendMessage(chatId, 'react to me');
    await alice.react(chatId, m.messageId, '👍');
    await eventually(() => bob.messages(chatId)[0]?.reactions.length === 1);
    g.close();
    sockets.dropAll();
    await eventually(() => bob.state === 'reconnecting');
    await alice.react(chatId, m.messageId, '🎉');
    g.open();
    await settled(bob);
    expect(bob.messages(chatId)).toEqual(await serverHistory(bob, chatId));
    expect(
      bob
        .messages(chatId)[0]
        ?.reactions.map((r) => r.emoji)
        .sort(),
    ).toEqual(['🎉', '👍'].sort());
  });
});
