/**
 * A message counts by its audience (lambdas/shared/rate-limits.ts `membersPerFrame`): a send into a
 * chat of more than 200 members counts `ceil(members / 200)` frames of `sendMessage`, and a schedule
 * of `scheduleMessage` (its send reaches the same members). Before, each counted one frame whatever
 * it reached: one member of a group of 1,000 could send 300 a minute, each posted to every member's
 * sockets (up to 10,000: 50 fan-out jobs) and pushed to every offline member (~300,000 deliveries
 * a minute), keeping the deployment's fan-out and push workers busy for every other user.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/data/keys.ts';
import { closeAll, connectUser, makeGroup } from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { limitOf } from '../support/rate-limit.ts';
import { BIG_GROUP_TIMEOUTS, uniqueId, useTestStack } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

const stack = useTestStack({ timeoutSeconds: BIG_GROUP_TIMEOUTS });
const table = useTableStore(stack);

/** The frames `userId`'s current window of `action` has counted (leased or charged). */
async function framesOf(userId: string, action: string): Promise<number> {
  const window = (await stack.items(`LIMIT#${userId}`)).find((i) => i.sk === action);
  return Number(window?.count ?? 0);
}

const members = (n: number) => Array.from({ length: n }, () => uniqueId('m'));
const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString();

describe('messages are charged by their audience', { timeout: 600_000 }, () => {
  it('a send or a schedule into a group of 1,000 counts five frames; into a group of 200, one', async () => {
    const owner = await connectUser(stack, uniqueId('big'));
    const big = await makeGroup(owner, members(999), 'Big');
    // The window's first frame is leased alone (rate-leases.ts), so the count is what was charged.
    await owner.ok('sendMessage', { chatId: big.chatId, text: 'to a thousand' });
    expect(await framesOf(owner.userId, 'sendMessage')).toBe(5);
    await owner.ok('scheduleMessage', { chatId: big.chatId, text: 'later', sendAt: tomorrow() });
    expect(await framesOf(owner.userId, 'scheduleMessage')).toBe(5);

    const other = await connectUser(stack, uniqueId('small'));
    const small = await makeGroup(other, members(199), 'Small');
    await other.ok('sendMessage', { chatId: small.chatId, text: 'to two hundred' });
    expect(await framesOf(other.userId, 'sendMessage')).toBe(1);
    await other.ok('scheduleMessage', { chatId: small.chatId, text: 'later', sendAt: tomorrow() });
    expect(await framesOf(other.userId, 'scheduleMessage')).toBe(1);
    await closeAll(stack, owner, other);
  });

  it('five frames short of the limit, one send into a group of 1,000 spends the window; into a small group, five', async () => {
    const limit = limitOf('sendMessage');
    const nearLimit = async (userId: string) =>
      table.doc.send(
        new PutCommand({
          TableName: stack.tableName,
          Item: { ...keys.rateLimit(userId, 'sendMessage'), windowStart: Date.now(), count: limit.max - 5 },
        }),
      );
    const owner = await connectUser(stack, uniqueId('loud'));
    const big = await makeGroup(owner, members(999), 'Big');
    await nearLimit(owner.userId);
    // Admitted (its charge comes after it was stored), and it spends the rest of the window.
    await owner.ok('sendMessage', { chatId: big.chatId, text: 'one' });
    expect(await framesOf(owner.userId, 'sendMessage')).toBe(limit.max);
    const refused = await owner.request('sendMessage', { chatId: big.chatId, text: 'two' });
    expect(refused).toMatchObject({ type: 'error', code: 'RATE_LIMITED', action: 'sendMessage' });
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(String(refused.message)).toMatch(
      /^Too many sendMessage requests: at most 300 every 60 s \(one to a chat of more than 200 members counts as several\)\./,
    );

    const quiet = await connectUser(stack, uniqueId('quiet'));
    const small = await makeGroup(quiet, members(20), 'Small');
    await nearLimit(quiet.userId);
    const replies: Frame[] = [];
    for (let i = 0; i < 5; i++)
      replies.push(await quiet.request('sendMessage', { chatId: small.chatId, text: `${i}` }));
    expect(replies.map((r) => r.type)).toEqual(['ack', 'ack', 'ack', 'ack', 'ack']);
    await closeAll(stack, owner, quiet);
  });
});
