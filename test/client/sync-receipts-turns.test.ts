/**
 * refreshReceipts asks getChat for at most RECEIPTS_REFRESH_MAX (20) chats a reconnect. Chats
 * already refreshed for the user's newest message in them wait behind the others (least recently
 * refreshed first), so with more chats waiting than that, each gets its turn at a later reconnect
 * (client/src/receipts.ts). Before, the 20 newest were asked at every reconnect, and an older
 * chat's receipts made while away never showed.
 */
import { describe, expect, it } from 'vitest';
import { RECEIPTS_REFRESH_MAX } from '../../client/src/receipts.ts';
import { eventually } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { clientFor, gate, settled, socketFamily, useClients } from './support/e2e.ts';

const stack = useTestStack();
const { track } = useClients(stack);

describe('receipts refresh turns', () => {
  it('an older chat read while away shows at the next reconnect, behind 20 newer chats never read', async () => {
    expect(RECEIPTS_REFRESH_MAX).toBe(20);
    const alice = uniqueId('turn-alice');
    const bob = uniqueId('turn-bob');
    const a = track(clientFor(stack, alice));
    const g = gate();
    const sockets = socketFamily();
    const away = track(clientFor(stack, bob, { gate: g, WebSocket: sockets.WebSocket }));
    await Promise.all([a, away].map((x) => settled(x)));
    const old = (await away.request('createChat', { kind: 'direct', userId: alice })).chat.chatId;
    const mine = await away.sendMessage(old, 'read me while you are away');
    // 20 newer chats whose other members never read (createChat: 20 a minute a user).
    for (let i = 0; i < 20; i++) {
      const [creator, other] = i < 19 ? [away, alice] : [a, bob];
      const { chat } = await creator.request('createChat', {
        kind: 'group',
        name: `g${i}`,
        memberIds: [other, uniqueId(`turn-silent${i}`)],
      });
      await eventually(() => away.chat(chat.chatId) !== undefined, 10_000);
      await away.sendMessage(chat.chatId, `to a silent peer ${i}`);
    }
    await eventually(() => a.messages(old).length === 1, 10_000);
    await Promise.all([a, away].map((x) => settled(x)));
    const aliceRead = () => away.chat(old)?.members?.find((m) => m.userId === alice)?.lastReadSeq;
    expect(aliceRead()).toBe(0);

    g.close();
    sockets.dropAll();
    await eventually(() => away.state === 'reconnecting');
    await a.markRead(old, mine.messageId);
    g.open();
    await settled(away, 30_000);
    // The 20 newest went first: the old chat waits its turn.
    const first = sockets.requests('getChat').map((f) => f.chatId);
    expect(first).toHaveLength(20);
    expect(first).not.toContain(old);
    expect(aliceRead()).toBe(0);

    sockets.dropAll();
    await eventually(() => away.state !== 'open');
    await settled(away, 30_000);
    const second = sockets
      .requests('getChat')
      .map((f) => f.chatId)
      .slice(first.length);
    expect(second[0]).toBe(old);
    expect(second).toHaveLength(20);
    expect(aliceRead()).toBe(mine.seq);
  });
});
