/**
 * Cost per action: every action kind runs alone (sequentially, nothing else in flight) and the
 * DynamoDB units and Management API posts booked to its route during that window are divided by the
 * repetitions. The whole round runs twice with fresh users: on the fresh table, and again after
 * seeding many unrelated chats, to show that no action's units grow with the table.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ChatStore } from '../../lambdas/data/store.ts';
import { member, newChat } from '../../lambdas/domain/create-chat.ts';
import { newMessageId } from '../../lambdas/domain/ids.ts';
import type { BenchClient, Frame } from '../client.ts';
import { connectAll } from '../client.ts';
import { messageText } from '../load.ts';
import type { Meter } from '../meter.ts';
import type { BenchStack } from '../stack.ts';
import { BIG_GROUP_STEPS, bigGroup } from './cost-big-group.ts';
import { COST_CASES, type CostWorld } from './cost-cases.ts';
import { type ActionCost, type Ctx, measure, summarize } from './measure.ts';

export type { ActionCost, CommandCost } from './measure.ts';
export { median } from './measure.ts';

const ack = async (client: BenchClient, action: string, fields: Record<string, unknown>) => {
  const reply = await client.request(action, fields);
  if (reply.type === 'error') throw new Error(`${action}: ${JSON.stringify(reply)}`);
  return reply;
};

/** Connects the other members of the measured groups (kept for both rounds). */
export function connectMembers(stack: BenchStack, prefix: string, count: number): Promise<BenchClient[]> {
  return connectAll(
    stack.url,
    Array.from({ length: count }, (_, i) => `${prefix}-M${String(i).padStart(3, '0')}`),
    16,
  );
}

/**
 * One round of measurements with fresh users whose ids start with `prefix`: `$connect`, every case
 * of {@link COST_CASES} in order, the group of 1,000 (cost-big-group.ts), then `$disconnect`. `onTick` reports the share done.
 */
export async function costRound(
  stack: BenchStack,
  meter: Meter,
  repeat: number,
  prefix: string,
  others: BenchClient[],
  onTick: (f: number, label: string) => void,
): Promise<ActionCost[]> {
  const ctx: Ctx = { stack, meter, repeat, prefix };
  const out: ActionCost[] = [];
  const id = (s: string) => `${prefix}-${s}`;
  // $connect, each case, the group of 1,000, $disconnect.
  const steps = COST_CASES.length + BIG_GROUP_STEPS + 2;
  let step = 0;
  const tick = (label: string) =>
    onTick(++step / steps, label.startsWith('cost: ') ? label : `cost: ${label}`);

  // $connect of two users (A, B), measured per connection.
  await stack.idle();
  let before = meter.snapshot();
  const [a, b] = (await connectAll(stack.url, [id('A'), id('B')], 1)) as [BenchClient, BenchClient];
  await stack.idle();
  out.push(summarize('$connect (+ authorizer)', '$connect', meter.since(before).$connect, 2, 0));
  tick('$connect');

  // The chats the cases act on; the other members of the groups are connected once by the caller
  // (their connections are what fan-out reads).
  const small = others.slice(0, 8).map((c) => c.userId);
  const large = others.map((c) => c.userId);
  const chatIdOf = (reply: Frame) => String((reply.chat as { chatId?: string } | undefined)?.chatId);
  const world: CostWorld = {
    a,
    b,
    id,
    small,
    large,
    groupSize: others.length + 2,
    direct: chatIdOf(await ack(a, 'createChat', { kind: 'direct', userId: b.userId })),
    largeGroup: chatIdOf(
      await ack(a, 'createChat', { kind: 'group', name: 'g100', memberIds: [b.userId, ...large] }),
    ),
    text: messageText(1024),
    repeat,
    groups10: [],
    sent: [],
  };
  for (const c of COST_CASES) {
    const label = c.label(world);
    out.push(
      await measure(
        ctx,
        label,
        c.routeKey,
        (i) => c.run(world, i),
        c.repeat ?? Math.min(repeat, c.maxRepeat ?? repeat),
      ),
    );
    tick(label);
  }
  await bigGroup(ctx, out, { a, b, others, text: world.text, id, tick });

  // $disconnect of A and B, per connection.
  await stack.idle();
  before = meter.snapshot();
  await Promise.all([a, b].map((c) => c.close()));
  await stack.idle();
  out.push(summarize('$disconnect', '$disconnect', meter.since(before).$disconnect, 2, 0));
  tick('$disconnect');
  return out;
}

/**
 * Seeds `count` unrelated direct chats (between seed users who never connect), each with a profile
 * per user and one message, through the implementation's own data-access module (ChatStore) on an
 * unmetered client: the same items the handlers write, without the cost of driving sockets.
 */
export async function seed(
  stack: BenchStack,
  prefix: string,
  count: number,
  onTick: (f: number) => void,
): Promise<number> {
  if (!stack.dynamoEndpoint || !stack.tableName) throw new Error('seeding needs the table');
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const store = new ChatStore(client, stack.tableName);
  const user = (i: number) => `${prefix}-u${String(i).padStart(5, '0')}`;
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const [a, b] = [user(i), user(i + 1)];
      // A direct chat as createChat stores it (lambdas/domain/create-chat.ts).
      const chat = newChat(new Date(), 'direct', null, a, 2);
      const now = chat.createdAt;
      const members = [member(chat, a, 'owner', b), member(chat, b, 'member', a)];
      await store.profiles.touch(a, `Seed ${i}`, now);
      await store.chats.create(chat, members);
      // The send path's writes: the clientMessageId claim, the allocation, the message.
      const clientMessageId = `s${i}`;
      const sentAt = Date.now();
      await store.claims.claim(
        { chatId: chat.chatId, senderId: a, clientMessageId },
        { claimedAt: sentAt, token: 't' },
      );
      const allocated = await store.sequence.allocate(chat.chatId, {
        memberVer: 1,
        sentAt,
        at: now,
        sentBy: a,
      });
      if (allocated.status !== 'allocated') throw new Error(`seeding: ${allocated.status}`);
      await store.messages.put({
        chatId: chat.chatId,
        messageId: newMessageId(allocated.seq),
        seq: allocated.seq,
        ver: allocated.ver,
        allocAt: sentAt,
        senderId: a,
        text: 'seed message',
        replyTo: null,
        clientMessageId,
        createdAt: now,
        editedAt: null,
        deleted: false,
      });
      onTick(++done / count);
    }
  };
  try {
    await Promise.all(Array.from({ length: 16 }, worker));
  } finally {
    client.destroy();
  }
  return done;
}
