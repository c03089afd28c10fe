/**
 * A user may have blocked at most MAX_BLOCKS_PER_USER users (3 here; 1,000 by default): past it
 * `blockUser` is BAD_REQUEST naming "userId", writes nothing and leaves the socket usable; concurrent
 * blocks never take the count past the cap (the count item is the lock, moved in each block's
 * transaction); a user whose block items predate the count is counted at their first change.
 * And a presence announcement never reads a long block list whole: its read is bounded by the peers
 * it tells (docs/data-model.md, "Presence privacy").
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCK } from '../../lambdas/data/items.ts';
import type { Deps } from '../../lambdas/domain/deps.ts';
import { presenceAudience } from '../../lambdas/domain/presence-privacy.ts';
import { closeAll, connectUser, expectRefused, type UserSocket } from '../support/chat.ts';
import { type MeteredStore, meteredStore } from '../support/metered-store.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const CAP = 3;
const stack = useTestStack({ env: { MAX_BLOCKS_PER_USER: String(CAP) } });

/** Block items written straight into the table, as code before the count left them. */
async function blockedBefore(blockerId: string, blockedIds: readonly string[]): Promise<void> {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  const createdAt = new Date().toISOString();
  for (let i = 0; i < blockedIds.length; i += 25) {
    const puts = blockedIds.slice(i, i + 25).map((blockedId) => ({
      PutRequest: { Item: BLOCK.toItem({ blockerId, blockedId, createdAt }) },
    }));
    let pending: Record<string, unknown>[] | undefined = puts;
    while (pending && pending.length > 0) {
      const out = await doc.send(new BatchWriteCommand({ RequestItems: { [stack.tableName]: pending } }));
      pending = out.UnprocessedItems?.[stack.tableName] as Record<string, unknown>[] | undefined;
    }
  }
  doc.destroy();
}

const blockItems = async (userId: string) =>
  (await stack.items(`USER#${userId}`)).filter((item) => String(item.sk).startsWith('BLOCK#'));

const listed = async (socket: UserSocket) =>
  (await socket.ok('listBlocked', { limit: 100 })).userIds as string[];

const FULL = /^"userId" cannot be blocked: you have blocked 3 users, the most one user can block/;

describe('the block cap', () => {
  it('refuses a block past the cap (BAD_REQUEST naming userId, nothing written) until one is unblocked', async () => {
    const ann = await connectUser(stack, uniqueId('ann'));
    const ids = [uniqueId('a'), uniqueId('b'), uniqueId('c'), uniqueId('d')] as const;
    for (const userId of ids.slice(0, CAP)) await ann.ok('blockUser', { userId });
    await expectRefused(stack, ann, 'blockUser', { userId: ids[3] }, 'BAD_REQUEST', { message: FULL });
    expect((await blockItems(ann.userId)).length).toBe(CAP);
    expect(await listed(ann)).toEqual([...ids.slice(0, CAP)].sort());
    // Blocking one already blocked still acks at the cap; an unblock makes room.
    expect(await ann.ok('blockUser', { userId: ids[0] })).toMatchObject({ userId: ids[0] });
    await ann.ok('unblockUser', { userId: ids[0] });
    await ann.ok('unblockUser', { userId: ids[0] }); // twice: harmless, the count moves once
    await ann.ok('blockUser', { userId: ids[3] });
    await expectRefused(stack, ann, 'blockUser', { userId: ids[0] }, 'BAD_REQUEST', { message: FULL });
    expect(await listed(ann)).toEqual([ids[1], ids[2], ids[3]].sort());
    await closeAll(stack, ann);
  });

  it('never lets concurrent blocks past the cap', async () => {
    const bob = await connectUser(stack, uniqueId('bob'));
    const targets = Array.from({ length: 8 }, () => uniqueId('target'));
    const replies = await Promise.all(targets.map((userId) => bob.request('blockUser', { userId })));
    const acked = replies.filter((r) => r.type === 'ack');
    expect(acked.length).toBe(CAP);
    for (const r of replies.filter((r) => r.type !== 'ack')) expect(r).toMatchObject({ code: 'BAD_REQUEST' });
    expect((await blockItems(bob.userId)).length).toBe(CAP);
    await closeAll(stack, bob);
  });

  it('counts the blocks a user made before the count existed at their first change', async () => {
    const cy = await connectUser(stack, uniqueId('cy'));
    const before = [uniqueId('old'), uniqueId('old')];
    await blockedBefore(cy.userId, before);
    await cy.ok('blockUser', { userId: uniqueId('new') });
    await expectRefused(stack, cy, 'blockUser', { userId: uniqueId('new') }, 'BAD_REQUEST', {
      message: FULL,
    });
    // A longer list from before counts as the cap: nothing more until unblocks take it below.
    const dee = await connectUser(stack, uniqueId('dee'));
    const many = Array.from({ length: 5 }, () => uniqueId('old'));
    await blockedBefore(dee.userId, many);
    await expectRefused(stack, dee, 'blockUser', { userId: uniqueId('new') }, 'BAD_REQUEST', {
      message: FULL,
    });
    await dee.ok('unblockUser', { userId: many[0] });
    await dee.ok('blockUser', { userId: uniqueId('new') });
    expect((await blockItems(dee.userId)).length).toBe(5);
    await closeAll(stack, cy, dee);
  });
});

describe('a presence announcement of a user with a long block list', () => {
  let metered: MeteredStore;
  beforeAll(() => {
    metered = meteredStore(stack);
  });
  afterAll(() => metered.close());

  it('reads what its peers need, not the whole list', async () => {
    const user = uniqueId('blocker');
    const [blockedPeer, peer] = [uniqueId('peer'), uniqueId('peer')];
    // 3,000 blocks from before the cap (about 600 KB of items), one of them a direct peer's.
    await blockedBefore(user, [blockedPeer, ...Array.from({ length: 2999 }, () => uniqueId('x'))]);
    const deps = { store: metered.store } as unknown as Deps;
    const start = metered.units();
    expect(await presenceAudience(deps, user, [blockedPeer, peer])).toEqual([peer]);
    // The list's last 20 entries (0.5: no count, from before it), then the user's and the peers' items
    // about each other (2 × 2 × 0.5).
    expect(metered.units() - start).toBeLessThanOrEqual(3);
  });

  it('reads a short list once, as before', async () => {
    const user = uniqueId('blocker');
    const peers = [uniqueId('peer'), uniqueId('peer'), uniqueId('peer')] as const;
    await blockedBefore(user, [peers[1]]);
    const deps = { store: metered.store } as unknown as Deps;
    const start = metered.units();
    expect(await presenceAudience(deps, user, peers)).toEqual([peers[0], peers[2]]);
    expect(metered.units() - start).toBe(0.5 + 3 * 0.5);
  });
});
