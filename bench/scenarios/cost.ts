/**
 * Cost per action: every action kind runs alone (sequentially, nothing else in flight) and the
 * DynamoDB units and Management API posts booked to its route during that window are divided by the
 * repetitions. The whole round runs twice with fresh users: on the fresh table, and again after
 * seeding many unrelated chats, to show that no action's units grow with the table.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type ChatRecord, ChatStore, type MemberRecord } from '../../lambdas/data/store.ts';
import { newChatId, newMessageId } from '../../lambdas/domain/ids.ts';
import type { BenchClient } from '../client.ts';
import { connectAll } from '../client.ts';
import { messageText } from '../load.ts';
import type { Meter } from '../meter.ts';
import type { BenchStack } from '../stack.ts';
import { bigGroup } from './cost-big-group.ts';
import { type ActionCost, type Ctx, measure, summarize } from './measure.ts';

export type { ActionCost, CommandCost } from './measure.ts';
export { median } from './measure.ts';

const ack = async (client: BenchClient, action: string, fields: Record<string, unknown>) => {
  const reply = await client.request(action, fields);
  if (reply.type === 'error') throw new Error(`${action}: ${JSON.stringify(reply)}`);
  return reply;
};

/** One round of measurements with fresh users whose ids start with `prefix`. */
/** Connects the other members of the measured groups (kept for both rounds). */
export function connectMembers(stack: BenchStack, prefix: string, count: number): Promise<BenchClient[]> {
  return connectAll(
    stack.url,
    Array.from({ length: count }, (_, i) => `${prefix}-M${String(i).padStart(3, '0')}`),
    16,
  );
}

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
  const steps = 26;
  let step = 0;
  const tick = (label: string) => onTick(++step / steps, label);

  // $connect of two users (A, B), measured per connection.
  await stack.idle();
  let before = meter.snapshot();
  const [a, b] = (await connectAll(stack.url, [id('A'), id('B')], 1)) as [BenchClient, BenchClient];
  await stack.idle();
  out.push(summarize('$connect (+ authorizer)', '$connect', meter.since(before).$connect, 2, 0));
  tick('cost: $connect');

  // The other members of the groups (connected once by the caller: their connections are what
  // fan-out reads).
  const small = others.slice(0, 8).map((c) => c.userId);
  const large = others.map((c) => c.userId);
  const groupSize = others.length + 2;
  tick('cost: members connected');

  const direct = (await ack(a, 'createChat', { kind: 'direct', userId: b.userId })).chat as {
    chatId: string;
  };
  out.push(
    await measure(ctx, 'createChat (direct, new; peer offline)', 'createChat', (i) =>
      a.request('createChat', { kind: 'direct', userId: id(`P${String(i).padStart(3, '0')}`) }),
    ),
  );
  tick('cost: createChat direct');
  out.push(
    await measure(ctx, 'createChat (direct, existing)', 'createChat', () =>
      a.request('createChat', { kind: 'direct', userId: b.userId }),
    ),
  );
  const groups10: string[] = [];
  out.push(
    await measure(ctx, 'createChat (group of 10)', 'createChat', async () => {
      const reply = await a.request('createChat', {
        kind: 'group',
        name: 'g10',
        memberIds: [b.userId, ...small],
      });
      groups10.push(String((reply.chat as { chatId?: string } | undefined)?.chatId));
      return reply;
    }),
  );
  tick('cost: createChat group');
  const g100 = (await ack(a, 'createChat', { kind: 'group', name: 'g100', memberIds: [b.userId, ...large] }))
    .chat as { chatId: string };
  const text = messageText(1024);
  const sent: string[] = [];
  out.push(
    await measure(ctx, 'sendMessage (1:1, 1 KB, clientMessageId)', 'sendMessage', async (i) => {
      const reply = await a.request('sendMessage', {
        chatId: direct.chatId,
        text,
        clientMessageId: id(`c${i}`),
      });
      sent.push(String((reply.message as { messageId?: string } | undefined)?.messageId));
      return reply;
    }),
  );
  tick('cost: sendMessage 1:1');
  out.push(
    await measure(ctx, 'sendMessage (1:1, duplicate clientMessageId)', 'sendMessage', (i) =>
      a.request('sendMessage', { chatId: direct.chatId, text, clientMessageId: id(`c${i}`) }),
    ),
  );
  out.push(
    await measure(ctx, 'sendMessage (1:1, 1 KB, no clientMessageId)', 'sendMessage', () =>
      a.request('sendMessage', { chatId: direct.chatId, text }),
    ),
  );
  tick('cost: sendMessage variants');
  const g10 = groups10[0] as string;
  out.push(
    await measure(ctx, 'sendMessage (group of 10, 1 KB)', 'sendMessage', (i) =>
      a.request('sendMessage', { chatId: g10, text, clientMessageId: id(`g${i}`) }),
    ),
  );
  tick('cost: sendMessage group 10');
  out.push(
    await measure(
      ctx,
      `sendMessage (group of ${groupSize}, 1 KB)`,
      'sendMessage',
      (i) => a.request('sendMessage', { chatId: g100.chatId, text, clientMessageId: id(`h${i}`) }),
      Math.min(repeat, 3),
    ),
  );
  tick(`cost: sendMessage group ${groupSize}`);
  await bigGroup(ctx, out, { a, b, others, text, id, tick });
  out.push(
    await measure(ctx, 'readMessage (moves forward)', 'readMessage', (i) =>
      b.request('readMessage', { chatId: direct.chatId, messageId: sent[i] }),
    ),
  );
  out.push(
    await measure(ctx, 'readMessage (unchanged)', 'readMessage', () =>
      b.request('readMessage', { chatId: direct.chatId, messageId: sent[0] }),
    ),
  );
  tick('cost: readMessage');
  out.push(
    await measure(ctx, 'typing (1:1)', 'typing', () => a.request('typing', { chatId: direct.chatId })),
  );
  out.push(await measure(ctx, 'typing (group of 10)', 'typing', () => a.request('typing', { chatId: g10 })));
  tick('cost: typing');
  out.push(
    await measure(ctx, 'history (1:1, default limit)', 'history', () =>
      a.request('history', { chatId: direct.chatId }),
    ),
  );
  out.push(
    await measure(ctx, 'history (after = last seq - 5)', 'history', () =>
      a.request('history', { chatId: direct.chatId, after: repeat * 2 - 5 > 0 ? repeat * 2 - 5 : 1 }),
    ),
  );
  out.push(await measure(ctx, 'listChats', 'listChats', () => b.request('listChats')));
  out.push(
    await measure(ctx, 'getChat (1:1)', 'getChat', () => a.request('getChat', { chatId: direct.chatId })),
  );
  out.push(
    await measure(ctx, 'getPresence (10 users)', 'getPresence', () =>
      a.request('getPresence', { userIds: [b.userId, ...small.slice(0, 8), id('nobody')] }),
    ),
  );
  tick('cost: reads');
  out.push(
    await measure(ctx, 'editMessage (1:1)', 'editMessage', (i) =>
      a.request('editMessage', {
        chatId: direct.chatId,
        messageId: sent[i],
        text: `${text.slice(0, 1000)} edited`,
      }),
    ),
  );
  out.push(
    await measure(ctx, 'deleteMessage (1:1)', 'deleteMessage', (i) =>
      a.request('deleteMessage', { chatId: direct.chatId, messageId: sent[i] }),
    ),
  );
  tick('cost: edit, delete');
  out.push(
    await measure(ctx, 'invite (1 user into a group of 10)', 'invite', (i) =>
      a.request('invite', { chatId: groups10[i], userIds: [id('invitee')] }),
    ),
  );
  out.push(
    await measure(ctx, 'removeMember (owner removes 1)', 'removeMember', (i) =>
      a.request('removeMember', { chatId: groups10[i], userId: id('invitee') }),
    ),
  );
  out.push(
    await measure(ctx, 'deleteChat (group of 10)', 'deleteChat', (i) =>
      a.request('deleteChat', { chatId: groups10[i] }),
    ),
  );
  tick('cost: membership');
  out.push(await measure(ctx, 'ping', 'ping', () => a.request('ping')));

  // $disconnect of A and B, per connection.
  await stack.idle();
  before = meter.snapshot();
  await Promise.all([a, b].map((c) => c.close()));
  await stack.idle();
  out.push(summarize('$disconnect', '$disconnect', meter.since(before).$disconnect, 2, 0));
  tick('cost: $disconnect');
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
      const now = new Date().toISOString();
      const [a, b] = [user(i), user(i + 1)];
      const chat: ChatRecord = {
        chatId: newChatId(),
        kind: 'direct',
        name: null,
        ownerId: a,
        lastSeq: 0,
        memberCount: 2,
        createdAt: now,
        lastActivityAt: now,
      };
      const member = (userId: string, peerId: string, role: 'owner' | 'member'): MemberRecord => ({
        chatId: chat.chatId,
        userId,
        role,
        lastReadSeq: 0,
        joinedAt: now,
        kind: 'direct',
        peerId,
      });
      await store.profiles.touch(a, `Seed ${i}`, now);
      await store.chats.create(chat, [member(a, b, 'owner'), member(b, a, 'member')]);
      await store.messages.append(
        {
          chatId: chat.chatId,
          messageId: newMessageId(1),
          seq: 1,
          senderId: a,
          text: 'seed message',
          replyTo: null,
          clientMessageId: `s${i}`,
          createdAt: now,
          editedAt: null,
          deleted: false,
        },
        0,
      );
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
