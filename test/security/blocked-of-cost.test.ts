/**
 * What `blocks.blockedOf` (whom a user blocked among some users: presence announcements, typing and
 * receipts, lambdas/domain/blocked-audience.ts) reads, in read units as DynamoDB Local reports them
 * (`ReturnConsumedCapacity`; a BatchGetItem key at 0.5: DynamoDB Local reports 0 for absent ones,
 * AWS bills them). At most about 0.5 + 0.5 a user asked about, however long the list; 0.5 for a short
 * list; and, asked about many users, no more than reading the whole list (what presence read before).
 * Before, a long list cost about twice that: a Query of up to 20 entries per user asked about, then
 * their items by key (k = 10 with 1,000 blocks: ~8.5 units; a list of over 4,000 with 199 users: ~197).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BLOCK, BLOCK_COUNT } from '../../lambdas/data/items.ts';
import { type MeteredStore, meteredStore } from '../support/metered-store.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

/** `blockerId`'s block items (and, when `counted`, their count), written straight into the table. */
async function blocked(
  blockerId: string,
  blockedIds: readonly string[],
  counted: boolean | number,
): Promise<void> {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  const createdAt = new Date().toISOString();
  const count = counted === true ? blockedIds.length : counted;
  const items = [
    ...blockedIds.map((blockedId) => BLOCK.toItem({ blockerId, blockedId, createdAt })),
    ...(count !== false ? [BLOCK_COUNT.toItem({ userId: blockerId, count })] : []),
  ];
  for (let i = 0; i < items.length; i += 25) {
    let pending: Record<string, unknown>[] | undefined = items
      .slice(i, i + 25)
      .map((Item) => ({ PutRequest: { Item } }));
    while (pending && pending.length > 0) {
      const out = await doc.send(new BatchWriteCommand({ RequestItems: { [stack.tableName]: pending } }));
      pending = out.UnprocessedItems?.[stack.tableName] as Record<string, unknown>[] | undefined;
    }
  }
  doc.destroy();
}

describe('blocks.blockedOf', () => {
  let metered: MeteredStore;
  beforeAll(() => {
    metered = meteredStore(stack);
  });
  afterAll(() => metered.close());

  /** Units and answer of one call (and its Queries: `withQueries`). */
  async function ask(blockerId: string, candidates: readonly string[], withQueries = false) {
    const [start, queriesBefore] = [metered.units(), metered.queries()];
    const found = await metered.store.blocks.blockedOf(blockerId, candidates);
    const answer = { found: [...found].sort(), units: metered.units() - start };
    return withQueries ? { ...answer, queries: metered.queries() - queriesBefore } : answer;
  }

  /** A user with `n` blocks (counted), and `k` users to ask about, every other one among them. */
  async function longList(n: number, k: number) {
    const user = uniqueId('blocker');
    const asked = Array.from({ length: k }, () => uniqueId('peer'));
    const listed = asked.filter((_, i) => i % 2 === 0);
    await blocked(user, [...listed, ...Array.from({ length: n - listed.length }, () => uniqueId('x'))], true);
    return { user, asked, listed: [...listed].sort() };
  }

  it('reads a short list, or none, in one Query of 0.5 unit', async () => {
    const user = uniqueId('blocker');
    const [a, b, c] = [uniqueId('peer'), uniqueId('peer'), uniqueId('peer')];
    await blocked(user, [b, uniqueId('x'), uniqueId('x')], true);
    expect(await ask(user, [a, b, c])).toEqual({ found: [b], units: 0.5 });
    // DynamoDB Local reports 0 for a Query that finds nothing (AWS bills 0.5).
    const none = await ask(uniqueId('nobody'), [a, b, c]);
    expect(none.found).toEqual([]);
    expect(none.units).toBeLessThanOrEqual(0.5);
    // A list of 19 (what one 0.5-unit page holds with the count), uncounted.
    const nineteen = uniqueId('blocker');
    await blocked(nineteen, [a, ...Array.from({ length: 18 }, () => uniqueId('x'))], false);
    expect(await ask(nineteen, [a, b])).toEqual({ found: [a], units: 0.5 });
  });

  it('1,000 blocks, 10 users asked about: at most 0.5 + 0.5 each', async () => {
    const { user, asked, listed } = await longList(1000, 10);
    const { found, units } = await ask(user, asked);
    expect(found).toEqual(listed);
    expect(units).toBeLessThanOrEqual(0.5 + 0.5 * 10);
  });

  it('999 blocks, 50 users asked about: at most 0.5 + 0.5 each, and no more than the whole list', async () => {
    // Below the cap (1,000): a count at it says nothing of a longer list from before the cap, and is
    // then looked up user by user (the last test).
    const { user, asked, listed } = await longList(999, 50);
    const { found, units } = await ask(user, asked);
    expect(found).toEqual(listed);
    expect(units).toBeLessThanOrEqual(0.5 + 0.5 * 50);
    const whole = metered.units();
    await metered.store.blocks.listUpTo(user, 999);
    expect(units).toBeLessThanOrEqual(metered.units() - whole + 0.5);
  });

  it('an uncounted list from before the cap (4,500 blocks), 199 users asked about: at most 0.5 + 0.5 each', async () => {
    const user = uniqueId('blocker');
    const asked = Array.from({ length: 199 }, () => uniqueId('peer'));
    await blocked(user, [asked[0] ?? '', ...Array.from({ length: 4499 }, () => uniqueId('x'))], false);
    const { found, units } = await ask(user, asked);
    expect(found).toEqual([asked[0]]);
    expect(units).toBeLessThanOrEqual(0.5 + 0.5 * 199);
  });

  it('a count below the true length (a list from before the cap, unblocked down to 19): every block still found', async () => {
    // countExisting stops at the cap, and each unblock takes one from the count: 1,100 blocks counted
    // at 1,000, then 981 unblocks, leave 119 blocks counted at 19. The count is a hint of what to read,
    // never the list's end: the first page of 19 is not taken for the whole list.
    const user = uniqueId('blocker');
    const victim = `a-${uniqueId('peer')}`;
    const others = Array.from({ length: 118 }, () => `x-${uniqueId('peer')}`);
    await blocked(user, [victim, ...others], 19);
    expect((await ask(user, [victim, uniqueId('b-peer')])).found).toEqual([victim]);
  });

  it('a list of 19 counted at a cap lowered to 19 may be longer: the rest still answered', async () => {
    vi.stubEnv('MAX_BLOCKS_PER_USER', '19');
    try {
      // 25 blocks from before the cap (lowered by its setting), counted at it: the user sorting
      // first is past the first page, and a count at the cap does not say the page was all.
      const user = uniqueId('blocker');
      const first = `${user}-0`;
      const others = Array.from({ length: 24 }, (_, i) => `${user}-${String(i + 1).padStart(2, '0')}`);
      await blocked(user, [first, ...others], 19);
      expect((await ask(user, [first, uniqueId('peer')])).found).toEqual([first]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('a list from before the cap (1,100 blocks) counted at the cap (1,000), 50 users asked about: at most 0.5 + 0.5 each', async () => {
    // The count stopped at the cap (block-count.ts countExisting): it says nothing of the list's
    // length, so the list is not read on (that read ~982 items, then looked every user up anyway).
    const user = uniqueId('blocker');
    const asked = Array.from({ length: 50 }, () => uniqueId('peer'));
    await blocked(user, [asked[0] ?? '', ...Array.from({ length: 1099 }, () => uniqueId('x'))], 1000);
    const { found, units } = await ask(user, asked);
    expect(found).toEqual([asked[0]]);
    expect(units).toBeLessThanOrEqual(0.5 + 0.5 * 50);
  });
});
