/**
 * The push badge's cost and meaning (docs/push.md, "Badge"), on DynamoDB Local with the units it
 * reports (`ReturnConsumedCapacity`).
 *
 * - Cost: a message to a group of N offline members with a device costs the same read units whether
 *   those members are in 1 chat or in 40: the badge is one UpdateItem a recipient (1 write unit),
 *   not a read of every membership and chat of theirs (which was N × 2(C − 1) item reads a message,
 *   nothing shared between messages).
 * - Meaning: the real `$disconnect` sets the counter to the user's total unread count across chats
 *   (what they left unread while online included), and a push counts on from it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT, type ChatRecord, MEMBER, MESSAGE, type MemberRecord } from '../../lambdas/data/items.ts';
import { ChatStore } from '../../lambdas/data/store.ts';
import { newDevice } from '../../lambdas/domain/devices.ts';
import { Counters } from '../../lambdas/pipeline/metrics.ts';
import { planPushes } from '../../lambdas/push/plan.ts';
import { closeAll, connectUser, makeDirect, makeGroup, sendText, type UserSocket } from '../support/chat.ts';
import { register, uniqueToken } from '../support/push.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand']);
const meter = { read: 0, write: 0 };
let raw: DynamoDBClient;
let setup: DynamoDBDocumentClient;
let store: ChatStore;
let alice: UserSocket;

/** A document client whose every data command reports its units into `meter`. */
function meteredStore(endpoint: string, tableName: string): ChatStore {
  raw = new DynamoDBClient({ endpoint });
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const reported = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
      const units = [reported ?? []]
        .flat()
        .reduce((n: number, c) => n + Number((c as { CapacityUnits?: number }).CapacityUnits ?? 0), 0);
      if (READS.has(String(context.commandName))) meter.read += units;
      else meter.write += units;
      return result;
    },
    { step: 'initialize', name: 'meterUnits' },
  );
  return new ChatStore(DynamoDBDocumentClient.from(raw), tableName);
}

beforeAll(async () => {
  store = meteredStore(stack.dynamoEndpoint, stack.tableName);
  setup = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  alice = await connectUser(stack, uniqueId('alice'));
});

afterAll(async () => {
  await alice?.close();
  raw?.destroy();
  setup?.destroy();
});

const N = 20;
const AT = '2026-12-01T00:00:00.000Z';
const chatOf = (chatId: string, lastSeq: number, memberCount: number): ChatRecord => ({
  chatId,
  kind: 'group',
  name: 'Cost',
  ownerId: 'sender',
  lastSeq,
  memberCount,
  createdAt: AT,
  lastActivityAt: AT,
  lastVer: lastSeq + 1,
  memberVer: 1,
  lastAllocAt: 0,
  minSyncVer: 0,
});
const memberOf = (chatId: string, userId: string): MemberRecord => ({
  chatId,
  userId,
  role: userId === 'sender' ? 'owner' : 'member',
  lastReadSeq: 0,
  lastDeliveredSeq: 0,
  joinedAt: AT,
  kind: 'group',
});

const messageOf = (tag: string, seq: number) => ({
  chatId: `${tag}g`,
  messageId: `m${seq}_${tag}abcdefghij`,
  seq,
  senderId: 'sender',
  text: 'Hello',
  replyTo: null,
  clientMessageId: null,
  createdAt: AT,
  editedAt: null,
  deleted: false,
  ver: seq + 1,
  allocAt: Date.parse(AT),
});

/** Puts items with a client of its own (not metered), 25 at once. */
async function putAll(items: readonly Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25)
    await Promise.all(
      items.slice(i, i + 25).map((Item) => setup.send(new PutCommand({ TableName: stack.tableName, Item }))),
    );
}

/**
 * N users (`<tag>u00`…), each with a device and no socket, in a group `<tag>g` whose message 1 is
 * to be pushed, and in `chats − 1` further groups with 3 unread messages each. Tags have one length,
 * so that the items the push reads have one size whatever the tag.
 */
async function seed(tag: string, chats: number) {
  const users = Array.from({ length: N }, (_, i) => `${tag}u${String(i).padStart(2, '0')}`);
  const groups = [
    { chat: chatOf(`${tag}g`, 1, N + 1), members: ['sender', ...users] },
    ...Array.from({ length: chats - 1 }, (_, j) => ({ chat: chatOf(`${tag}o${j}`, 3, N), members: users })),
  ];
  const message = messageOf(tag, 1);
  await putAll([
    ...groups.flatMap((g) => [
      CHAT.toItem(g.chat),
      ...g.members.map((u) => MEMBER.toItem(memberOf(g.chat.chatId, u))),
    ]),
    MESSAGE.toItem(message),
  ]);
  for (const userId of users) {
    const device = newDevice(userId, { platform: 'apns', token: uniqueToken(userId) }, new Date());
    expect(await store.devices.register({ device, count: 0 })).toBe('registered');
  }
  return MESSAGE.toItem(message);
}

/** `<tag>g`'s message 2 (its META moved on to seq 2). */
async function seedNext(tag: string) {
  const message = messageOf(tag, 2);
  await putAll([CHAT.toItem({ ...chatOf(`${tag}g`, 2, N + 1), lastVer: 3 }), MESSAGE.toItem(message)]);
  return MESSAGE.toItem(message);
}

/** The units and badges of planning `image`'s pushes. */
async function planMetered(image: ReturnType<typeof MESSAGE.toItem>) {
  Object.assign(meter, { read: 0, write: 0 });
  const planned = await planPushes({ store, now: () => new Date() }, image, new Counters('test'));
  return { ...meter, badges: planned.map((p) => p.content.badge) };
}

describe('the push badge', { timeout: 120_000 }, () => {
  it('costs the same reads whatever the number of chats its recipients are in: one write each', async () => {
    const few = await planMetered(await seed('few', 1));
    const many = await planMetered(await seed('man', 40));
    console.log(`a message to ${N} offline members: in 1 chat each`, few, '; in 40 chats each', many);
    expect(few.badges).toEqual(Array(N).fill(1));
    // Reads: the head, N lookups, the message and META again, N devices read again; nothing per chat.
    expect(many.read).toBe(few.read);
    expect(many.read).toBeLessThan(2 * N + 10);
    // One badge counter update per recipient (each created at 1 here).
    expect(many.write).toBe(N);
    expect(many.badges).toEqual(Array(N).fill(1));
    // A second message counts on, still without a read per chat.
    const again = await planMetered(await seedNext('man'));
    expect(again.read).toBe(many.read);
    expect(again.badges).toEqual(Array(N).fill(2));
  });

  it('is the total unread count when the user went offline, plus one a message pushed since', async () => {
    const bob = await connectUser(stack, uniqueId('bob'));
    await register(bob, [{ platform: 'apns', token: uniqueToken('bob') }]);
    const direct = await makeDirect(alice, bob.userId);
    const group = await makeGroup(alice, [bob.userId], 'Badge');
    // While Bob is online: two direct messages (he reads the first) and one in the group.
    const first = await sendText(alice, direct.chatId, 'one');
    await sendText(alice, direct.chatId, 'two');
    await sendText(alice, group.chatId, 'three');
    await bob.ok('readMessage', { chatId: direct.chatId, messageId: first.messageId });
    await closeAll(stack, bob);
    // Offline: the group's next message shows the two left unread, and itself.
    const four = await sendText(alice, group.chatId, 'four');
    const stored = await store.messages.get(group.chatId, four.seq, { consistent: true });
    const { badges } = await planMetered(MESSAGE.toItem(stored as NonNullable<typeof stored>));
    expect(badges).toEqual([3]);
  });
});
