/**
 * Delivery receipts under load (client/src/receipts.ts, Deliveries), on a fake socket, a fake server
 * and fake timers: a user in many busy chats sends markDelivered within DELIVERED_PER_MINUTE (80 %
 * of the server's limit), every chat's newest message still gets its receipt, and when the budget
 * is short the most recently active chats go first.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DELIVERED_BURST, DELIVERED_PER_MINUTE } from '../../client/src/receipts.ts';
import { RATE_LIMITS } from '../../lambdas/shared/rate-limits.ts';
import { FakeServer } from './support/fake-server.ts';
import { FakeSocket } from './support/fake-socket.ts';
import { fakeClient, flush } from './support/harness.ts';

let server: FakeServer;

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.reset();
  server = new FakeServer();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A client in `chats` chats, caught up; the server answers whatever it is asked. */
async function started(chats: number) {
  const ids = Array.from({ length: chats }, (_, i) => `g${i}`);
  for (const chatId of ids) server.chat(chatId, ['bob', 'carol']);
  const h = fakeClient({ gapMs: 2000, deliveredIntervalMs: 3000 });
  await flush();
  const socket = FakeSocket.last;
  socket.open();
  for (let i = 0; i < 20; i++) {
    await flush();
    server.serve(socket);
  }
  /** A new message of bob's in the chat, live (`at`: its createdAt). */
  const message = (chatId: string, at = new Date().toISOString()) =>
    socket.push({ type: 'message.created', message: { ...server.add(chatId, 'hi'), createdAt: at } });
  const receipts = () => socket.requests('markDelivered');
  return { ...h, ids, socket, message, receipts };
}

describe('delivery receipts under load', () => {
  it('the budget is 80 % of the server’s limit of markDelivered', () => {
    expect(DELIVERED_PER_MINUTE).toBe(0.8 * (RATE_LIMITS.markDelivered?.max ?? 0));
  });

  it('40 chats with a message every second: within the budget in any minute, and the newest seq of each delivered', async () => {
    const { ids, socket, message, receipts } = await started(40);
    /** markDelivered frames sent in each 250 ms step. */
    const perStep: number[] = [];
    for (let step = 0; step < 4 * 180; step++) {
      if (step % 4 === 0) for (const chatId of ids) message(chatId);
      const before = receipts().length;
      server.serve(socket);
      await flush(250);
      perStep.push(receipts().length - before);
    }
    let most = 0;
    for (let end = 240; end <= perStep.length; end++) {
      const minute = perStep.slice(end - 240, end).reduce((a, b) => a + b, 0);
      most = Math.max(most, minute);
    }
    expect(most).toBeLessThanOrEqual(DELIVERED_PER_MINUTE + DELIVERED_BURST);
    // The budget is used, not wasted: the last minute sent nearly all of it.
    expect(perStep.slice(-240).reduce((a, b) => a + b, 0)).toBeGreaterThan(0.9 * DELIVERED_PER_MINUTE);
    // The messages stop: within a stretched interval every chat's newest message is delivered.
    for (let t = 0; t < 20_000; t += 250) {
      server.serve(socket);
      await flush(250);
    }
    for (const chatId of ids) {
      const last = server.get(chatId).messages.length;
      const mine = receipts().filter((r) => r.chatId === chatId);
      expect(mine.at(-1)?.seq, chatId).toBe(last);
    }
  });

  it('when the budget is short, the most recently active chats go first', async () => {
    const { ids, socket, message, receipts } = await started(60);
    const at = (i: number) => new Date(Date.parse('2026-12-01T18:00:00.000Z') + i * 1000).toISOString();
    // One message in each chat at once, g59 the newest.
    for (const [i, chatId] of ids.entries()) message(chatId, at(i));
    await flush();
    const order = () => receipts().map((r) => r.chatId);
    const newestFirst = [...ids].reverse();
    expect(order()).toEqual(newestFirst.slice(0, DELIVERED_BURST));
    server.serve(socket);
    await flush(60_000 / DELIVERED_PER_MINUTE);
    expect(order()).toEqual(newestFirst.slice(0, DELIVERED_BURST + 1));
    for (let t = 0; t < 15_000; t += 250) {
      server.serve(socket);
      await flush(250);
    }
    expect(order()).toEqual(newestFirst);
  });

  /** Seconds from a new message of bob's (in `chatId`) until its receipt, the clock set back 1 h first. */
  async function afterClockBack(chatId: string, noPerformance = false) {
    const { socket, message, receipts, client } = await started(2);
    message('g0');
    for (let i = 0; i < 10; i++) {
      await flush(100);
      server.serve(socket);
    }
    expect(receipts()).toHaveLength(1);
    // Without performance.now() (the wall clock is the only one), clock-back guards still hold.
    if (noPerformance) vi.stubGlobal('performance', undefined);
    vi.setSystemTime(Date.now() - 3600_000);
    message(chatId);
    let after = Number.POSITIVE_INFINITY;
    for (let t = 0; t < 3600_000 && after === Number.POSITIVE_INFINITY; t += 1000) {
      await flush(1000);
      server.serve(socket);
      if (receipts().length > 1) after = t / 1000;
    }
    vi.unstubAllGlobals();
    client.close();
    return after;
  }

  it('the wall clock set back an hour pauses no receipt (same chat, another chat)', async () => {
    expect(await afterClockBack('g0')).toBeLessThanOrEqual(3);
    FakeSocket.reset();
    expect(await afterClockBack('g1')).toBeLessThanOrEqual(1);
  });

  it('without performance.now(): the wall clock set back an hour pauses no receipt either', async () => {
    expect(await afterClockBack('g0', true)).toBeLessThanOrEqual(3);
    FakeSocket.reset();
    expect(await afterClockBack('g1', true)).toBeLessThanOrEqual(1);
  });
});
