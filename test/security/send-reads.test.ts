/**
 * What a non-member's `sendMessage` frame reads of a big group: the caller's membership and `META`
 * by key, never the member list. Before, a group whose head the container held without the caller
 * was read whole, strongly consistently, on every frame (a consistent GetItem of `META`, then a
 * consistent Query of every member) to answer NOT_FOUND: ~60 R a frame in a group of 1,000, and
 * sendMessage is not charged by units, so one signed-in user who knows a chatId made the table read
 * ~20,000 R a minute at the frame limit. A member who just joined still sends (replayed from the
 * member log). Units as DynamoDB Local reports them (`meterReads`; test/support/metered-store.ts
 * for the Queries and its BatchGetItem keys at 0.5).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEMBER_LOG_FROM } from '../../lambdas/data/member-log.ts';
import { meterReads } from '../../lambdas/data/read-meter.ts';
import { deps } from '../../lambdas/domain/deps.ts';
import { sendMessage } from '../../lambdas/domain/send.ts';
import { extended } from '../../lambdas/shared/env-use.ts';
import { closeAll, connectUser, makeGroup } from '../support/chat.ts';
import { type MeteredStore, meteredStore } from '../support/metered-store.ts';
import { BIG_GROUP_TIMEOUTS, uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack({ timeoutSeconds: BIG_GROUP_TIMEOUTS });
let metered: MeteredStore;
beforeAll(() => {
  metered = meteredStore(stack);
});
afterAll(() => metered.close());

/** One sendMessage by `userId` through one container's store: its outcome and what it read. */
async function frame(userId: string, chatId: string) {
  const domain = extended(deps(), { store: metered.store });
  const [units, queries] = [metered.units(), metered.queries()];
  const meter = { units: 0 };
  const outcome = await meterReads(meter, () =>
    sendMessage(
      domain,
      { userId, name: userId },
      { chatId, text: 'hi', clientMessageId: uniqueId('cm'), connectionId: 'none' },
    ),
  ).then(
    () => 'stored',
    (error: { code?: string }) => error.code ?? 'error',
  );
  return {
    outcome,
    reported: meter.units,
    units: metered.units() - units,
    queries: metered.queries() - queries,
  };
}

describe('sendMessage reads for a caller the cached head leaves out', { timeout: 300_000 }, () => {
  it('a non-member is refused on two keys, frame after frame; one who joins since sends', async () => {
    const owner = await connectUser(stack, uniqueId('own'));
    const size = 2 * MEMBER_LOG_FROM; // a group that logs its membership changes
    const group = await makeGroup(
      owner,
      Array.from({ length: size - 1 }, () => uniqueId('m')),
      'Big',
    );
    const stranger = uniqueId('stranger');
    // The container does not hold the head yet: it reads it once (eventually consistently, and
    // caches it); the caller it leaves out is looked up by key, not read whole again.
    const first = await frame(stranger, group.chatId);
    expect(first).toMatchObject({ outcome: 'NOT_FOUND', queries: 1 });
    // The head is cached, without the stranger: each frame is the membership and META by key.
    for (let i = 0; i < 5; i++) {
      const again = await frame(stranger, group.chatId);
      expect(again).toMatchObject({ outcome: 'NOT_FOUND', units: 1, queries: 0 });
      expect(again.reported).toBeLessThanOrEqual(2);
    }
    // Invited since (the cached head still leaves them out): the key lookup finds them, and the
    // head is brought up to date from the member log, not read whole.
    await owner.ok('invite', { chatId: group.chatId, userIds: [stranger] });
    const joined = await frame(stranger, group.chatId);
    expect(joined.outcome).toBe('stored');
    expect(joined.reported).toBeLessThanOrEqual(6);
    // Cached with them now: their next send reads no head at all.
    expect(await frame(stranger, group.chatId)).toMatchObject({ outcome: 'stored', queries: 0 });
    await closeAll(stack, owner);
  });
});
