/**
 * Read receipts made while away in a group of 100 to 200 members (it logs its membership changes)
 * whose membership also changed meanwhile. The catch-up's sync lists the members then, but as the
 * server cached them: others' read cursors as they were when cached (lambdas/domain/sync.ts
 * loadForSync). That list does not make the chat's receipts fresh: refreshReceipts still asks
 * getChat (client/src/receipts.ts).
 */
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { clientFor, gate, settled, socketFamily, useClients, useShortWriteTiming } from './support/e2e.ts';

const stack = useTestStack();
const { track } = useClients(stack);
// The catch-up after the invite waits for the chat's head to be quiet: shortened (the write path's bounds).
useShortWriteTiming();

describe('receipts of a group of 100+ members after a reconnect', () => {
  it('a read made while away shows once back, also when a member joined meanwhile', async () => {
    const alice = uniqueId('br-alice');
    const bob = uniqueId('br-bob');
    const carol = uniqueId('br-carol');
    const fillers = Array.from({ length: 97 }, (_, i) => uniqueId(`br-f${i}`));
    const a = track(clientFor(stack, alice));
    const c = track(clientFor(stack, carol));
    const g = gate();
    const sockets = socketFamily();
    const away = track(clientFor(stack, bob, { gate: g, WebSocket: sockets.WebSocket }));
    await Promise.all([a, c, away].map((x) => settled(x)));
    const { chat } = await a.request('createChat', {
      kind: 'group',
      name: 'big',
      memberIds: [bob, carol, ...fillers],
    });
    const chatId = chat.chatId;
    expect(chat.memberCount).toBe(100);
    for (const x of [away, c]) await eventually(() => x.chat(chatId)?.members != null, 20_000);
    const mine = await away.sendMessage(chatId, 'read me');
    await eventually(() => c.messages(chatId).length === 1, 10_000);
    await Promise.all([away, c].map((x) => settled(x)));
    const carolRead = () => away.chat(chatId)?.members?.find((m) => m.userId === carol)?.lastReadSeq;
    expect(carolRead()).toBe(0);

    g.close();
    sockets.dropAll();
    await eventually(() => away.state === 'reconnecting');
    await c.markRead(chatId, mine.messageId);
    await a.request('invite', { chatId, userIds: [uniqueId('br-dave')] });
    const asked = sockets.requests('getChat').length;
    g.open();
    await settled(away, 30_000);
    expect(away.chat(chatId)?.memberCount).toBe(101);
    expect(
      sockets
        .requests('getChat')
        .slice(asked)
        .map((f) => f.chatId),
    ).toEqual([chatId]);
    expect(carolRead()).toBe(mine.seq);
  });
});
