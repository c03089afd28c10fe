/**
 * One user on two devices: what the device that stays online holds of a chat equals what a
 * catch-up (the other device's, or getChat) brings, without a reconnect: the owner after the owner
 * left (members.ts: taken from the member listed as owner), the chat's `lastVer` after membership
 * changes (versions that only move the sync cursor: replica.ts advance), and the user's own
 * `lastDeliveredSeq` after their own markDelivered (replica.ts delivered).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { headQuietMs } from '../../lambdas/domain/timing.ts';
import { eventually } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { clientFor, settled, useClients, useShortWriteTiming } from './support/e2e.ts';

const stack = useTestStack();
// The chat's head settles sooner (the write path's bounds shortened): the wait below is shorter.
useShortWriteTiming();
const { track } = useClients(stack);

describe('the device that stays online', () => {
  it('shows the new owner once the owner left, with no getChat or reconnect', async () => {
    const alice = uniqueId('own-alice');
    const bob = uniqueId('own-bob');
    const carol = uniqueId('own-carol');
    const a = track(clientFor(stack, alice));
    const c = track(clientFor(stack, carol));
    const live = track(clientFor(stack, bob));
    await Promise.all([a, c, live].map((x) => settled(x)));
    const { chat } = await a.request('createChat', { kind: 'group', name: 'H', memberIds: [bob, carol] });
    await eventually(() => live.chat(chat.chatId)?.ownerId === alice, 10_000);
    await settled(live);
    const asked = live.stats.catchUpRequests;

    await a.request('removeMember', { chatId: chat.chatId, userId: alice });
    const owner = (await c.request('getChat', { chatId: chat.chatId })).chat.ownerId;
    expect([bob, carol]).toContain(owner);
    await eventually(() => live.chat(chat.chatId)?.memberCount === 2, 10_000);
    await settled(live);
    // The leave came live, and its catch-up was a sync (no reconnect).
    expect(live.stats.reconnects).toBe(0);
    expect(live.stats.catchUpRequests).toBeGreaterThan(asked);
    expect(live.chat(chat.chatId)?.ownerId).toBe(owner);
    expect(live.chat(chat.chatId)?.members?.find((m) => m.userId === owner)?.role).toBe('owner');
  });

  it("holds the chat's lastVer after membership changes, and its own delivery cursor", {
    timeout: 90_000,
  }, async () => {
    const alice = uniqueId('ver-alice');
    const bob = uniqueId('ver-bob');
    const carol = uniqueId('ver-carol');
    const a = track(clientFor(stack, alice));
    const c = track(clientFor(stack, carol));
    const live = track(clientFor(stack, bob, { deliveredIntervalMs: 50 }));
    await Promise.all([a, c, live].map((x) => settled(x)));
    const { chat } = await a.request('createChat', { kind: 'group', name: 'V', memberIds: [bob, carol] });
    const chatId = chat.chatId;
    await eventually(() => live.chat(chatId) !== undefined, 10_000);
    const m = await a.sendMessage(chatId, 'hello');
    await eventually(() => live.messages(chatId).length === 1, 10_000);
    // Its own markDelivered's ack moves its own entry's cursor (no event tells its own sockets).
    const own = (x: { members: { userId: string; lastDeliveredSeq: number }[] | null } | undefined) =>
      x?.members?.find((m) => m.userId === bob)?.lastDeliveredSeq;
    await eventually(() => own(live.chat(chatId)) === m.seq, 10_000);
    await a.request('invite', { chatId, userIds: [uniqueId('ver-dave')] });
    await c.request('removeMember', { chatId, userId: carol });
    await eventually(() => live.chat(chatId)?.memberCount === 3, 10_000);
    await settled(live);
    // The catch-up right after a change cannot move the cursor past it while the chat's head is
    // settling (lambdas/domain/sync.ts, headQuietMs: 6.5 s here); a sync after that does.
    await sleep(headQuietMs() + 1000);
    await live.syncNow(chatId);

    const server = (await a.request('getChat', { chatId })).chat;
    expect(own(server)).toBe(m.seq);
    const held = live.chat(chatId);
    expect(held?.lastVer).toBe(server.lastVer);
    expect(own(held)).toBe(m.seq);
  });
});
