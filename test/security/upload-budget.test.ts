/**
 * A user may request at most UPLOAD_MB_PER_DAY of uploads in 24 hours (1 MB here): the rate limit
 * counts requests whatever their size, the budget counts their bytes. A request past it is
 * BAD_REQUEST naming `size`, the bytes left and when the budget renews (not RATE_LIMITED: a client
 * would hold every later requestUpload, even one that fits), and stores nothing; a smaller one that
 * fits is still accepted; another user's budget is their own. The window item is the one of
 * docs/data-model.md; a charge given back (`refund`) counts in its own window only.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { ByteBudgetRepository, UPLOAD_BYTES } from '../../lambdas/data/byte-budgets.ts';
import { TableClient } from '../../lambdas/data/table-client.ts';
import { connectUsers, makeDirect } from '../support/chat.ts';
import { requestUpload } from '../support/media.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const MIB = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;
const stack = useTestStack({ env: { UPLOAD_MB_PER_DAY: '1' } });

describe('the daily upload budget', () => {
  it('refuses a request that would pass it, stores nothing, and leaves other users alone', async () => {
    const [alice, bob] = await connectUsers(stack, 2, 'budget');
    if (!alice || !bob) throw new Error('two users');
    const { chatId } = await makeDirect(alice, bob.userId);
    const uploads = () =>
      stack.items(`CHAT#${chatId}`).then((items) => items.filter((i) => String(i.sk).startsWith('UPLOAD#')));

    const before = Date.now();
    await requestUpload(alice, chatId, 'image/png', 512 * 1024);
    const big = await alice.request('requestUpload', { chatId, contentType: 'image/png', size: MIB });
    expect(big).toMatchObject({
      type: 'error',
      code: 'BAD_REQUEST',
      message: expect.stringMatching(
        /^"size": 1 MB is more than the 0\.5 MB left of today's upload budget \(1 MB a day, renews at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)\.$/,
      ),
    });
    expect(big).not.toHaveProperty('retryAfterMs');
    const renewsAt = Date.parse(String(big.message).match(/renews at (\S+)\)/)?.[1] ?? '');
    expect(renewsAt).toBeGreaterThanOrEqual(before + DAY_MS - 1000);
    expect(renewsAt).toBeLessThanOrEqual(Date.now() + DAY_MS);
    expect(await uploads()).toHaveLength(1);
    // On the same socket, a smaller upload that fits is accepted (exactly 1 MB in all)...
    await requestUpload(alice, chatId, 'image/png', 512 * 1024);
    // ...and then nothing more fits.
    const refused = await alice.request('requestUpload', { chatId, contentType: 'image/png', size: 1 });
    expect(refused).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^"size": .* 0 MB left/),
    });
    expect(await uploads()).toHaveLength(2);
    // The socket stays usable, and Bob's budget is his own.
    expect((await alice.request('ping')).type).toBe('pong');
    await requestUpload(bob, chatId, 'image/png', MIB);
    expect(await uploads()).toHaveLength(3);

    const [window] = (await stack.items(`LIMIT#${alice.userId}`)).filter((i) => i.sk === 'UPLOAD_BYTES');
    expect(window).toMatchObject({ count: MIB, windowStart: expect.any(Number), ttl: expect.any(Number) });
    await Promise.all([alice.close(), bob.close()]);
  });

  it('charges nothing to a non-member, who is NOT_FOUND', async () => {
    const [carol, dave, eve] = await connectUsers(stack, 3, 'budget-nm');
    if (!carol || !dave || !eve) throw new Error('three users');
    const { chatId } = await makeDirect(carol, dave.userId);
    const refused = await eve.request('requestUpload', { chatId, contentType: 'image/png', size: MIB });
    expect(refused).toMatchObject({ code: 'NOT_FOUND' });
    expect((await stack.items(`LIMIT#${eve.userId}`)).filter((i) => i.sk === 'UPLOAD_BYTES')).toEqual([]);
    await Promise.all([carol.close(), dave.close(), eve.close()]);
  });

  it('counts concurrent charges within the budget, and opens a new window once the day is over', async () => {
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
    const budgets = new ByteBudgetRepository(new TableClient(doc, stack.tableName));
    const userId = uniqueId('budget-repo');
    const t0 = Date.now();
    const charge = (amount: number, nowMs: number) =>
      budgets.charge(userId, UPLOAD_BYTES, amount, { max: 10, windowMs: DAY_MS, nowMs });
    // More than the whole budget never fits, not even as the first charge.
    expect(await charge(11, t0)).toMatchObject({ kind: 'over' });
    expect(await stack.items(`LIMIT#${userId}`)).toEqual([]);
    const results = await Promise.all(Array.from({ length: 8 }, () => charge(3, t0)));
    expect(results.filter((r) => r.kind === 'charged')).toHaveLength(3); // 9 of 10 bytes
    expect(await charge(2, t0 + 1000)).toMatchObject({ kind: 'over', used: 9, retryAfterMs: DAY_MS - 1000 });
    expect(await charge(1, t0 + 1000)).toEqual({ kind: 'charged', windowStart: t0 });
    // A refund gives a charge back in its window: the room is there again.
    expect(await budgets.refund(userId, UPLOAD_BYTES, 3, t0)).toBe(true);
    expect(await charge(3, t0 + 2000)).toEqual({ kind: 'charged', windowStart: t0 });
    // A day later the window is over: a new one opens with this charge alone.
    expect(await charge(10, t0 + DAY_MS)).toEqual({ kind: 'charged', windowStart: t0 + DAY_MS });
    // A refund of a charge of the old window gives nothing to the new one.
    expect(await budgets.refund(userId, UPLOAD_BYTES, 3, t0)).toBe(false);
    const [item] = (await stack.items(`LIMIT#${userId}`)).filter((i) => i.sk === UPLOAD_BYTES);
    expect(item).toMatchObject({ count: 10, windowStart: t0 + DAY_MS });
    doc.destroy();
  });
});
