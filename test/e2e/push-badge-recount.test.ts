/**
 * When `$disconnect` recounts the push badge, and what a push counts on from it (docs/push.md,
 * "Badge"), through the real `$disconnect` on the local gateway and DynamoDB Local:
 *
 * - only the close that leaves the user without an open socket recounts (pushes go out only then):
 *   closing one of two sockets reads nothing for the badge; two closing at once still recount;
 * - a message allocated before the recount began, pushed after it (its stream record processed once
 *   the socket was gone), is counted once: by the recount, not again by the push's bump.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGE } from '../../lambdas/data/items.ts';
import { keys } from '../../lambdas/data/keys.ts';
import { ChatStore } from '../../lambdas/data/store.ts';
import { Counters } from '../../lambdas/pipeline/metrics.ts';
import { planPushes } from '../../lambdas/push/plan.ts';
import {
  anotherSocket,
  closeAll,
  connectUser,
  makeDirect,
  makeGroup,
  sendText,
  summaryOf,
} from '../support/chat.ts';
import { register, uniqueToken } from '../support/push.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
let doc: DynamoDBDocumentClient;
let store: ChatStore;

beforeAll(() => {
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  store = new ChatStore(doc, stack.tableName);
});
afterAll(() => doc?.destroy());

async function badgeItem(userId: string) {
  const key = keys.badge(userId);
  const { Item } = await doc.send(
    new GetCommand({ TableName: stack.tableName, Key: key, ConsistentRead: true }),
  );
  return Item;
}

/** Bob, with a device, in a direct chat and a group with Alice (who stays connected). */
async function bobWithDevice() {
  const alice = await connectUser(stack, uniqueId('alice'));
  const bob = await connectUser(stack, uniqueId('bob'));
  await register(bob, [{ platform: 'apns', token: uniqueToken('bob') }]);
  const direct = await makeDirect(alice, bob.userId);
  const group = await makeGroup(alice, [bob.userId], 'Recount');
  return { alice, bob, direct, group };
}

describe('the push badge recount at $disconnect', { timeout: 120_000 }, () => {
  it('runs only when the close leaves no socket open', async () => {
    const { alice, bob, direct, group } = await bobWithDevice();
    await sendText(alice, direct.chatId, 'one');
    await sendText(alice, group.chatId, 'two');
    const second = await anotherSocket(stack, bob);
    await closeAll(stack, second);
    // Bob is still online on his first socket: no push goes out, so no recount (no read per chat).
    expect(await badgeItem(bob.userId)).toBeUndefined();
    await closeAll(stack, bob);
    expect(await badgeItem(bob.userId)).toMatchObject({ count: 2, countedAt: expect.any(String) });
    await closeAll(stack, alice);
  });

  it('runs when two sockets close at once (each may list the other)', async () => {
    const { alice, bob, direct } = await bobWithDevice();
    await sendText(alice, direct.chatId, 'one');
    const second = await anotherSocket(stack, bob);
    await closeAll(stack, bob, second);
    expect(await badgeItem(bob.userId)).toMatchObject({ count: 1, countedAt: expect.any(String) });
    await closeAll(stack, alice);
  });

  it('counts a message sent before $disconnect but pushed after it once', async () => {
    const { alice, bob, direct } = await bobWithDevice();
    // Alice writes; Bob's socket closes before the stream record reaches the push function.
    const m = await sendText(alice, direct.chatId, 'just before you left');
    await closeAll(stack, bob);
    expect(await badgeItem(bob.userId)).toMatchObject({ count: 1 });
    // The push function processes the message now: Bob has no socket; the recount counted it.
    const stored = await store.messages.get(direct.chatId, m.seq, { consistent: true });
    const image = MESSAGE.toItem(stored as NonNullable<typeof stored>);
    const planned = await planPushes({ store, now: () => new Date() }, image, new Counters('test'));
    expect(planned.map((p) => p.content.badge)).toEqual([1]);
    // A message sent after the recount counts on from it.
    const next = await sendText(alice, direct.chatId, 'while you were away');
    const later = await store.messages.get(direct.chatId, next.seq, { consistent: true });
    const pushed = await planPushes(
      { store, now: () => new Date() },
      MESSAGE.toItem(later as NonNullable<typeof later>),
      new Counters('test'),
    );
    expect(pushed.map((p) => p.content.badge)).toEqual([2]);
    const again = await connectUser(stack, bob.userId);
    expect((await summaryOf(again, direct.chatId))?.unreadCount).toBe(2);
    await closeAll(stack, again, alice);
  });
});
