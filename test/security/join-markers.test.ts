/**
 * `$connect` reads the join markers that are still live, not every one TTL has not deleted yet
 * (docs/data-model.md, "Keeping rosters right"). Markers are written by other users' createChat and
 * invite (20 a minute each), live 15 minutes, and TTL deletes them up to ~48 h later; before, the
 * marker read filtered on the expiry after reading them all: a user added to 20,000 groups (deleted
 * since, or left) paid 330 read units at each `$connect`. The expiry leads the marker's sort key now,
 * and the Query's key condition starts at the present; a `Limit` bounds what is left (the markers
 * written before, `JOINED#<chatId>`, until TTL has deleted them). A marked group the index does not
 * show is listed once a consistent read finds the membership (a marker outlives a removal:
 * test/e2e/roster-join-marker.test.ts): here the membership is stored without its index keys, as
 * the index shows a membership written a moment ago.
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { Item } from '../../lambdas/data/item.ts';
import { JOIN_MARKER, MEMBER } from '../../lambdas/data/items.ts';
import { MEMBERSHIP_INDEX, TTL_ATTRIBUTE } from '../../lambdas/data/keys.ts';
import { meterReads } from '../../lambdas/data/read-meter.ts';
import type { Deps } from '../../lambdas/domain/deps.ts';
import { joinRosters } from '../../lambdas/domain/rosters.ts';
import { closeAll, connectUser } from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

const stack = useTestStack();
const table = useTableStore(stack);

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function putAll(items: readonly Item[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    let pending: Record<string, unknown>[] | undefined = items
      .slice(i, i + 25)
      .map((Item) => ({ PutRequest: { Item } }));
    while (pending && pending.length > 0) {
      const out = await table.doc.send(
        new BatchWriteCommand({ RequestItems: { [stack.tableName]: pending } }),
      );
      pending = out.UnprocessedItems?.[stack.tableName] as Record<string, unknown>[] | undefined;
    }
  }
}

/** `count` markers of groups joined long ago, expired an hour ago: TTL has not deleted them yet. */
const expiredMarkers = (userId: string, count: number): Item[] =>
  Array.from({ length: count }, () =>
    JOIN_MARKER.toItem({ userId, chatId: `c_${uniqueId('gone')}`, expiresAt: nowSeconds() - 3600 }),
  );

/** A marker as the code before wrote it (`JOINED#<chatId>`): what a deploy finds in the table. */
const legacyMarker = (userId: string, chatId: string, expiresAt: number): Item => ({
  pk: `USER#${userId}`,
  sk: `JOINED#${chatId}`,
  [TTL_ATTRIBUTE]: expiresAt,
  itemType: 'joined',
});

/** A group membership the membership index does not show yet (its index keys left out). */
function unindexedMember(userId: string, chatId: string): Item {
  const item: Item = {
    ...MEMBER.toItem({
      chatId,
      userId,
      role: 'member',
      lastReadSeq: 0,
      lastDeliveredSeq: 0,
      joinedAt: new Date().toISOString(),
      kind: 'group',
    }),
  };
  delete item[MEMBERSHIP_INDEX.partitionKey];
  delete item[MEMBERSHIP_INDEX.sortKey];
  return item;
}

/** A live marker of a group just joined, and the membership the index does not show yet. */
async function justJoined(userId: string, chatId: string): Promise<void> {
  await putAll([unindexedMember(userId, chatId)]);
  await table.store.rosters.markJoined([userId], chatId);
}

/** What `$connect`'s roster step (memberships and join markers) reads, in read units. */
async function connectReads(userId: string): Promise<{ units: number; groups: string[] }> {
  const deps = { store: table.store, now: () => new Date() } as unknown as Deps;
  const meter = { units: 0 };
  const socket = { userId, connectionId: uniqueId('k'), connectedAt: new Date().toISOString() };
  await meterReads(meter, () => joinRosters(deps, socket));
  return { units: meter.units, groups: await table.store.rosters.recentJoins(userId) };
}

describe('join markers at $connect', { timeout: 120_000 }, () => {
  it('reads only the live ones: 2,000 expired markers cost nothing', async () => {
    const userId = uniqueId('victim');
    const live = `c_${uniqueId('live')}`;
    await putAll(expiredMarkers(userId, 2000));
    await justJoined(userId, live);
    const { units, groups } = await connectReads(userId);
    expect(groups).toEqual([live]);
    // The membership index and one short page of live markers (1 unit, measured), and the consistent
    // read of the marked membership the index does not show (1 unit); before, 36 units: every expired
    // marker was read, then filtered out.
    expect(units).toBeLessThanOrEqual(2.5);
    // The socket is listed in the group it just joined.
    expect((await stack.items(`ROSTER#${live}`)).length).toBe(1);
  });

  it('reads markers written before expiry led the key, bounded, until TTL deletes them', async () => {
    const userId = uniqueId('legacy');
    const live = `c_${uniqueId('live')}`;
    await putAll([legacyMarker(userId, live, nowSeconds() + 600), legacyMarker(userId, 'c_old', 1)]);
    expect((await connectReads(userId)).groups).toEqual([live]);

    const flooded = uniqueId('flooded');
    await putAll(
      Array.from({ length: 2000 }, () => legacyMarker(flooded, `c_${uniqueId('gone')}`, nowSeconds() - 3600)),
    );
    const { units, groups } = await connectReads(flooded);
    expect(groups).toEqual([]);
    // One page of at most 100 markers (~7 KB: 2 units, the index's included); all 2,000: 37 units.
    expect(units).toBeLessThanOrEqual(3);
  });

  it('reads a live marker of the new form though 100 expired ones from before sort first', async () => {
    const userId = uniqueId('hidden');
    const live = `c_${uniqueId('live')}`;
    await putAll(
      Array.from({ length: 100 }, () => legacyMarker(userId, `c_${uniqueId('gone')}`, nowSeconds() - 3600)),
    );
    await justJoined(userId, live); // an invite after the deploy
    const { units, groups } = await connectReads(userId);
    expect(groups).toEqual([live]);
    expect((await stack.items(`ROSTER#${live}`)).length).toBe(1);
    // The live markers' page and the older markers' (100, ~7 KB), read side by side, and the
    // membership (1 unit).
    expect(units).toBeLessThanOrEqual(4);
  });

  it('a real $connect of a user with many expired markers lists the socket in a group it just joined', async () => {
    const userId = uniqueId('joiner');
    const live = `c_${uniqueId('live')}`;
    await putAll(expiredMarkers(userId, 500));
    await justJoined(userId, live);
    const socket = await connectUser(stack, userId);
    const roster = (await stack.items(`ROSTER#${live}`)).map((item) => String(item.sk));
    expect(roster).toEqual([`ONLINE#${userId}#${socket.connectionId}`]);
    await closeAll(stack, socket);
  });
});
