/**
 * A user may store at most TEXT_MB_PER_DAY of messages in a UTC day (1 MB here; 100 MB by default):
 * the rate limit counts sends whatever their size, and 300 a minute of 4,000 four-byte characters
 * would store ~7 GB a day per user, kept while the chat lives. Each message stored counts its text's
 * UTF-8 bytes plus 1 KB for its item's keys, fields and index entries (`storedTextBytes`), carried
 * on the rate limiter's next lease write of the action (no write of its own). Past the budget,
 * sends are `RATE_LIMITED` with `retryAfterMs` to the next 00:00 UTC, store nothing, and leave the
 * socket and other users alone.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { RateLimitRepository } from '../../lambdas/data/rate-limits.ts';
import { TableClient } from '../../lambdas/data/table-client.ts';
import { RateLeases } from '../../lambdas/shared/rate-leases.ts';
import { storedTextBytes } from '../../lambdas/shared/rate-limiter.ts';
import { rateLimitOf } from '../../lambdas/shared/rate-limits.ts';
import { connectUsers, makeDirect } from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const MIB = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;
const stack = useTestStack({ env: { TEXT_MB_PER_DAY: '1' } });

/** Milliseconds from `nowMs` to the next 00:00 UTC. */
const untilMidnight = (nowMs: number) => (Math.floor(nowMs / DAY_MS) + 1) * DAY_MS - nowMs;

describe('the daily text budget', () => {
  it('refuses sends past it RATE_LIMITED until 00:00 UTC, stores nothing, and leaves others alone', async () => {
    const [alice, bob] = await connectUsers(stack, 2, 'text-budget');
    if (!alice || !bob) throw new Error('two users');
    const { chatId } = await makeDirect(alice, bob.userId);
    const text = '😀'.repeat(4000); // 16,000 bytes stored
    const each = storedTextBytes(text);
    expect(each).toBe(16_000 + 1024);
    const fits = Math.ceil(MIB / each); // the send that reaches the budget is still stored

    let sent = 0;
    let refused: Record<string, unknown> | undefined;
    while (!refused && sent < fits + 40) {
      const reply = await alice.request('sendMessage', { chatId, text });
      if (reply.type === 'ack') sent++;
      else refused = reply;
    }
    // Bytes ride on the next lease write, so a lease's frames may pass the budget (at most 10 of them).
    expect(sent).toBeGreaterThanOrEqual(fits);
    expect(sent).toBeLessThanOrEqual(fits + 10);
    expect(refused).toMatchObject({
      type: 'error',
      code: 'RATE_LIMITED',
      message: expect.stringMatching(/^Too much text stored today: at most 1 MB a day\. Retry in \d+ s\.$/),
    });
    const retryAfterMs = Number(refused?.retryAfterMs);
    expect(Math.abs(retryAfterMs - untilMidnight(Date.now()))).toBeLessThan(10_000);

    // Refused again (from memory): nothing more is stored.
    const again = await alice.request('sendMessage', { chatId, text: 'hi' });
    expect(again).toMatchObject({ code: 'RATE_LIMITED' });
    const messages = (await stack.items(`CHAT#${chatId}`)).filter((i) => String(i.sk).startsWith('MSG#'));
    expect(messages).toHaveLength(sent);

    // The socket stays usable, and Bob's budget is his own.
    expect((await alice.request('ping')).type).toBe('pong');
    expect((await bob.request('sendMessage', { chatId, text })).type).toBe('ack');

    const [window] = (await stack.items(`LIMIT#${alice.userId}`)).filter((i) => i.sk === 'sendMessage');
    const day = Math.floor(Date.now() / DAY_MS);
    expect(Number(window?.[`bytes${day}`])).toBeGreaterThanOrEqual(MIB);
    expect(Number(window?.ttl) * 1000).toBeGreaterThanOrEqual((day + 1) * DAY_MS);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('counts scheduled messages against a budget of their own, when they are scheduled', async () => {
    const [carol, dave] = await connectUsers(stack, 2, 'text-budget-later');
    if (!carol || !dave) throw new Error('two users');
    const { chatId } = await makeDirect(carol, dave.userId);
    const text = '😀'.repeat(4000);
    const sendAt = new Date(Date.now() + 3_600_000).toISOString();
    let scheduled = 0;
    let refused: Record<string, unknown> | undefined;
    while (!refused && scheduled < 90) {
      const reply = await carol.request('scheduleMessage', { chatId, text, sendAt });
      if (reply.type === 'ack') scheduled++;
      else refused = reply;
    }
    // A lease of one frame: each write carries the frame before's bytes, so it stops right at the budget.
    expect(scheduled).toBe(Math.ceil(MIB / storedTextBytes(text)));
    expect(refused).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/^Too much text/) });
    // sendMessage's budget is its own.
    expect((await carol.request('sendMessage', { chatId, text })).type).toBe('ack');
    await Promise.all([carol.close(), dave.close()]);
  });

  it('refuses leases of a spent day whatever the minute window holds, and a new day starts afresh', async () => {
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
    const limits = new RateLimitRepository(new TableClient(doc, stack.tableName));
    const userId = uniqueId('text-repo');
    const day = Math.floor(Date.now() / DAY_MS);
    const t0 = day * DAY_MS + 1000;
    const lease = (nowMs: number, amount: number) =>
      limits.lease(userId, 'sendMessage', {
        max: 300,
        windowMs: 60_000,
        nowMs,
        remaining: 300,
        size: () => 1,
        bytes: { amount, max: 100 },
      });
    expect(await lease(t0, 60)).toMatchObject({ kind: 'leased', granted: 1, bytesUsed: 60 });
    // The bytes of frames already sent always count, even past the budget...
    expect(await lease(t0 + 1, 60)).toMatchObject({ kind: 'leased', bytesUsed: 120 });
    // ...and then no lease is granted until the day ends, in this window or the next.
    expect(await lease(t0 + 2, 10)).toEqual({
      kind: 'limited',
      retryAfterMs: DAY_MS - 1002,
      windowStart: (day + 1) * DAY_MS - 60_000,
      overBudget: true,
    });
    expect(await lease(t0 + 120_000, 0)).toMatchObject({ kind: 'limited', overBudget: true });
    // The next UTC day has a budget of its own, and the item forgets the day before.
    expect(await lease(t0 + DAY_MS, 5)).toMatchObject({ kind: 'leased', bytesUsed: 5 });
    const [item] = await stack.items(`LIMIT#${userId}`);
    expect(item).toMatchObject({ [`bytes${day + 1}`]: 5 });
    expect(item).not.toHaveProperty(`bytes${day}`);
    doc.destroy();
  });

  it('keeps the day count through a pause: the audience charges on its item never bring its expiry forward', async () => {
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
    const leases = new RateLeases(new RateLimitRepository(new TableClient(doc, stack.tableName)));
    const limit = rateLimitOf('sendMessage', {});
    if (!limit?.bytesPerDay) throw new Error('sendMessage has a daily text budget');
    const day = Math.floor(Date.now() / DAY_MS);
    const t0 = day * DAY_MS + 3_600_000; // 01:00 UTC
    const dayEnd = (day + 1) * DAY_MS;
    const itemOf = async (userId: string) =>
      (await stack.items(`LIMIT#${userId}`)).find((i) => i.sk === 'sendMessage');
    // Messages into a group of 1,000 count 5 frames each: 1 admitted, 4 charged after it was stored.
    const intoBigGroup = async (userId: string, sends: number, at: number) => {
      for (let i = 0; i < sends; i++) {
        if (!(await leases.take(userId, 'sendMessage', limit, at + i)).allowed) return;
        leases.noteBytes(userId, 'sendMessage', 17_000);
        await leases.charge(userId, 'sendMessage', limit, 4, at + i);
      }
    };
    // Past the window's max, each charge overdraws it: the window is pushed (settled).
    const settled = uniqueId('text-settle');
    await intoBigGroup(settled, 70, t0);
    // A charge landing after its frame's window ended opens the next window itself.
    const opened = uniqueId('text-open');
    await intoBigGroup(opened, 3, t0);
    await leases.charge(opened, 'sendMessage', limit, 4, t0 + 61_000);
    for (const userId of [opened, settled]) {
      const item = await itemOf(userId);
      expect(Number(item?.[`bytes${day}`])).toBeGreaterThan(0);
      expect(Number(item?.ttl) * 1000).toBeGreaterThanOrEqual(dayEnd);
    }
    doc.destroy();
  });
});
