/**
 * One user on two devices (d1 acts, d2 the other) and a peer, against the local stack: what d2 holds
 * equals the server's word.
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
