/**
 * One chain of presence rechecks at a time (presence.ts `putOff`, profiles.ts `markPresencePending`):
 * a recheck put off by a young socket answering 410 clears the pending mark when it starts and used
 * to queue itself again without setting it, so a change the budget refused meanwhile queued a second
 * recheck, and each went on queueing itself while the socket stayed undecided. The put-off now marks
 * the recheck pending first (the mark a refusal sets), on DynamoDB Local's conditions.
 * A mark whose recheck was lost (the send failed and so did the clear, or the Lambda died between
 * mark and send) used to refuse every later put-off for good, with or without a window: the user
 * stayed online to peers. It now expires once its recheck should have run.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { HANDSHAKE_SECONDS } from '../../lambdas/data/items.ts';
import { keys } from '../../lambdas/data/keys.ts';
import { deps } from '../../lambdas/domain/deps.ts';
import { PRESENCE_ANNOUNCEMENTS, recheckPresence } from '../../lambdas/domain/presence.ts';
import { FANOUT_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { closeAll, connectUser, makeDirect, settle } from '../support/chat.ts';
import { ageSocket } from '../support/ghost.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
const fanOutQueue = () => stack.queues.get(FANOUT_WORKER.name) as LocalQueue;
const nowSeconds = () => Math.floor(Date.now() / 1000);
/** Long past any recheck's run: the mark's lifetime, with room to spare. */
const LIFETIME = 180;

/** Sets the user's profile attributes as a lost recheck left them. */
async function setProfile(userId: string, values: Record<string, number>): Promise<void> {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  try {
    const names = Object.keys(values);
    await doc.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: keys.profile(userId),
        UpdateExpression: `SET ${names.map((n) => `${n} = :${n}`).join(', ')}`,
        ExpressionAttributeValues: Object.fromEntries(names.map((n) => [`:${n}`, values[n]])),
      }),
    );
  } finally {
    doc.destroy();
  }
}

describe('a recheck put off by a young socket', { timeout: 60_000 }, () => {
  it('marks itself pending: a change refused meanwhile queues no second recheck', async () => {
    const bob = await connectUser(stack, uniqueId('bob'));
    const ann = await connectUser(stack, uniqueId('ann'));
    await makeDirect(ann, bob.userId);
    await closeAll(stack, ann); // offline announced: the window's first
    const { profiles, connections } = deps().store;
    // The window's other three, so that the next change is refused.
    for (const online of [true, false, true])
      expect(
        await profiles.claimPresenceAnnouncement(ann.userId, online, nowSeconds(), PRESENCE_ANNOUNCEMENTS),
      ).toEqual({ outcome: 'announce' });
    // A `$connect` of hers stored its socket, then failed: a young record answering 410.
    const ghost = `${uniqueId('ghost')}=`;
    await connections.put({ userId: ann.userId, connectionId: ghost, connectedAt: new Date().toISOString() });
    const jobs = fanOutQueue().stats.sent;
    await recheckPresence(deps(), ann.userId);
    expect(fanOutQueue().stats.sent).toBe(jobs + 1); // put off: queued again
    // Her next change is refused by the budget: the recheck pending decides it, no second one.
    expect(
      await profiles.claimPresenceAnnouncement(ann.userId, false, nowSeconds(), PRESENCE_ANNOUNCEMENTS),
    ).toEqual({
      outcome: 'same-or-pending',
    });
    expect(await profiles.markPresencePending(ann.userId, nowSeconds(), LIFETIME)).toBe(false);
    await closeAll(stack, bob);
  });

  it('marks nothing for a user without a profile (no item is created)', async () => {
    const userId = uniqueId('nobody');
    expect(await deps().store.profiles.markPresencePending(userId, nowSeconds(), LIFETIME)).toBe(false);
    expect(await stack.items(`USER#${userId}`)).toEqual([]);
  });

  it('marks a profile with no window yet once, until the mark is cleared', async () => {
    const userId = uniqueId('quiet');
    const { profiles } = deps().store;
    await profiles.setName(userId, 'Quiet');
    expect(await profiles.markPresencePending(userId, nowSeconds(), LIFETIME)).toBe(true);
    expect(await profiles.markPresencePending(userId, nowSeconds(), LIFETIME)).toBe(false);
    await profiles.clearPresencePending(userId);
    expect(await profiles.markPresencePending(userId, nowSeconds(), LIFETIME)).toBe(true);
  });

  it('marks over a lost mark, with or without a window', async () => {
    const userId = uniqueId('lost');
    const { profiles } = deps().store;
    await profiles.setName(userId, 'Lost');
    await setProfile(userId, { presencePending: nowSeconds() - 3600 }); // no window
    expect(await profiles.markPresencePending(userId, nowSeconds(), LIFETIME)).toBe(true);
    expect(await profiles.markPresencePending(userId, nowSeconds(), LIFETIME)).toBe(false);
    const old = nowSeconds() - 3600; // a window over an hour ago, its recheck lost
    await setProfile(userId, { presenceWindow: old, presencePending: old });
    expect(await profiles.markPresencePending(userId, nowSeconds(), LIFETIME)).toBe(true);
    expect(await profiles.markPresencePending(userId, nowSeconds(), LIFETIME)).toBe(false);
  });

  it('a lost mark does not stop $disconnect from putting off its decision', async () => {
    const bob = await connectUser(stack, uniqueId('bob'));
    const ann = await connectUser(stack, uniqueId('ann'));
    await makeDirect(ann, bob.userId);
    await settle(stack, ann, bob);
    const old = nowSeconds() - 3600;
    await setProfile(ann.userId, { presenceWindow: old, presencePending: old });
    // A `$connect` of hers stored its socket, then failed: a record answering 410, settled in 3 s.
    const ghost = { userId: ann.userId, connectionId: `${uniqueId('ghost')}=` };
    await deps().store.connections.put({ ...ghost, connectedAt: new Date().toISOString() });
    await ageSocket(stack, ghost, HANDSHAKE_SECONDS - 3);
    const jobs = fanOutQueue().stats.sent;
    await closeAll(stack, ann);
    await settle(stack, bob);
    expect(fanOutQueue().stats.sent).toBe(jobs + 1); // the put-off recheck
    // It runs once the ghost is settled, finds it gone, and tells Bob she is offline.
    await bob.event('presence', (f) => f.userId === ann.userId && f.online === false, 20_000);
    await closeAll(stack, bob);
  });
});
