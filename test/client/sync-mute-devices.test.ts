/**
 * One user on two devices (d1 acts, d2 the other) and a peer, against the local stack: what d2 holds
 * equals the server's word without waiting for a reconnect of its own.
 * - A mute or unmute on d1 reaches d2 while it stays online (`chat.muted` to the caller's other
 *   sockets), with a `chat` event to the app.
 * - d2's own member entry in `members` carries the read cursor d1 moved while d2 was offline, as
 *   its `lastReadSeq` does once the reconnect's listChats brings it (replica.ts summary).
 */
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { clientFor, gate, settled, socketFamily, useClients, useShortWriteTiming } from './support/e2e.ts';

const stack = useTestStack();
useShortWriteTiming();
const { track } = useClients(stack);

describe("one user's devices", () => {
  it('a mute and an unmute on d1 reach d2 while it stays online', { timeout: 60_000 }, async () => {
    const me = uniqueId('mdev-me');
    const d1 = track(clientFor(stack, me));
    const d2 = track(clientFor(stack, me));
    const peer = track(clientFor(stack, uniqueId('mdev-peer')));
    await Promise.all([d1, d2, peer].map((c) => settled(c)));
    const { chat } = await peer.request('createChat', { kind: 'direct', userId: me });
    const chatId = chat.chatId;
    await eventually(() => d2.chat(chatId) !== undefined && d1.chat(chatId) !== undefined);
    await settled(d2);
    const told: (string | null)[] = [];
    d2.on('chat', (e) => e.chatId === chatId && e.chat && told.push(e.chat.mutedUntil));
    // The asking socket has the ack: no event comes to it.
    const d1Heard: unknown[] = [];
    d1.on('chat.muted', (e) => d1Heard.push(e));

    const until = new Date(Date.now() + 3_600_000).toISOString();
    const { mutedUntil } = await d1.request('muteChat', { chatId, until });
    expect(mutedUntil).toBe(until);
    await eventually(() => d2.chat(chatId)?.mutedUntil === until, 10_000).catch(() => undefined);
    expect(d2.chat(chatId)?.mutedUntil).toBe(until);
    expect(told).toContain(until);

    await d1.request('muteChat', { chatId, until: null });
    await eventually(() => d2.chat(chatId)?.mutedUntil === null, 10_000).catch(() => undefined);
    expect(d2.chat(chatId)?.mutedUntil).toBeNull();
    expect(told.at(-1)).toBeNull();
    // Live, not from a catch-up after a reconnect.
    expect(d2.stats.reconnects).toBe(0);
    expect(d1Heard).toEqual([]);
  });

  it("d2's own member entry takes the read cursor d1 moved while d2 was offline", {
    timeout: 60_000,
  }, async () => {
    const me = uniqueId('rdev-me');
    const g = gate();
    const sockets = socketFamily();
    const d1 = track(clientFor(stack, me));
    const d2 = track(clientFor(stack, me, { gate: g, WebSocket: sockets.WebSocket }));
    const peer = track(clientFor(stack, uniqueId('rdev-peer')));
    await Promise.all([d1, d2, peer].map((c) => settled(c)));
    const { chat } = await peer.request('createChat', { kind: 'group', name: 'R', memberIds: [me] });
    const chatId = chat.chatId;
    const sent = [];
    for (const t of ['a', 'b', 'c']) sent.push(await peer.sendMessage(chatId, t));
    await eventually(() => d2.messages(chatId).length === 3 && d1.messages(chatId).length === 3);
    await settled(d2);
    expect(d2.chat(chatId)?.members?.find((m) => m.userId === me)?.lastReadSeq).toBe(0);

    g.close();
    sockets.dropAll();
    await eventually(() => d2.state !== 'open');
    await d1.markRead(chatId, sent[1]?.messageId);
    g.open();
    await settled(d2, 30_000);

    const held = d2.chat(chatId);
    expect(held?.lastReadSeq).toBe(2);
    expect(held?.unreadCount).toBe(1);
    expect(held?.members?.find((m) => m.userId === me)?.lastReadSeq).toBe(2);
  });
});
