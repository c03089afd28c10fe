/** The cost of a group of 1,000 and of reconnecting a member of many groups (see `bigGroup`). */

import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { store } from '../../lambdas/data/store.ts';
import { rosterGroups } from '../../lambdas/domain/rosters.ts';
import { getDocumentClient } from '../../lambdas/shared/clients.ts';
import { config } from '../../lambdas/shared/config.ts';
import type { BenchClient } from '../client.ts';
import { closeAll, connectAll } from '../client.ts';
import { type ActionCost, type Ctx, measure, summarize } from './measure.ts';

/** Members of the measured group of 1,000 (the others of the round are its online members). */
export const BIG_GROUP = 1000;
/** Progress ticks `bigGroup` reports. */
export const BIG_GROUP_STEPS = 3;

/**
 * A group of 1,000 whose online members are the round's others (one socket each, about 100), then
 * with two more sockets each (about 300: over the fan-out queue's threshold of 200, so the posts
 * go through the queue worker, whose units, posts and invocations are booked to the send). Last,
 * one member reconnects: `$connect` and `$disconnect` of a member of several groups.
 */
export async function bigGroup(
  ctx: Ctx,
  out: ActionCost[],
  round: {
    a: BenchClient;
    b: BenchClient;
    others: BenchClient[];
    text: string;
    id: (s: string) => string;
    tick: (label: string) => void;
  },
): Promise<void> {
  const { a, b, others, text, id, tick } = round;
  const offline = Array.from({ length: BIG_GROUP - 2 - others.length }, (_, i) => id(`off${i}`));
  let chatId = '';
  out.push(
    await measure(
      ctx,
      `createChat (group of ${BIG_GROUP}, ${others.length + 2} online)`,
      'createChat',
      async () => {
        const reply = await a.request('createChat', {
          kind: 'group',
          name: 'g1000',
          memberIds: [b.userId, ...others.map((c) => c.userId), ...offline],
        });
        chatId = String((reply.chat as { chatId?: string } | undefined)?.chatId);
        return reply;
      },
      1,
    ),
  );
  const send = (label: string, tag: string) =>
    measure(
      ctx,
      label,
      'sendMessage',
      (i) => a.request('sendMessage', { chatId, text, clientMessageId: id(`${tag}${i}`) }),
      Math.min(ctx.repeat, 3),
    );
  out.push(await send(`sendMessage (group of ${BIG_GROUP}, ${others.length + 1} sockets, 1 KB)`, 'big'));
  tick(`cost: group of ${BIG_GROUP}`);
  const extra = await connectAll(
    ctx.stack.url,
    others.flatMap((c) => [c.userId, c.userId]),
    16,
  );
  out.push(
    await send(
      `sendMessage (group of ${BIG_GROUP}, ${3 * others.length + 1} sockets: queued, 1 KB)`,
      'queued',
    ),
  );
  await closeAll(extra);
  tick(`cost: group of ${BIG_GROUP}, queued`);
  out.push(...(await sendsAfterALeave(ctx, a, chatId, text, id, offline)));

  // A member of the group of 1,000, the group of 100 and the groups of 10 closes and reconnects.
  const member = others[0] as BenchClient;
  const chats = (await member.request('listChats', { limit: 100 })).chats as { kind?: string }[];
  const groups = chats.filter((c) => c.kind === 'group');
  // `$connect` lists the socket in the roster of every group (a group joined in the last minutes that
  // the index does not show yet too: join markers; the cost phase's own groups deleted since are read,
  // consistently, not listed): its write units per roster are per entry actually written.
  const rosters = await rostersListedAtConnect(member.userId);
  await ctx.stack.idle();
  let before = ctx.meter.snapshot();
  await member.close();
  await ctx.stack.idle();
  out.push(
    summarize(
      `$disconnect (member of ${groups.length} groups)`,
      '$disconnect',
      ctx.meter.since(before).$disconnect,
      1,
      0,
    ),
  );
  before = ctx.meter.snapshot();
  const [again] = await connectAll(ctx.stack.url, [member.userId], 1);
  await ctx.stack.idle();
  out.push(
    summarize(
      `$connect (member of ${groups.length} groups, listed in ${rosters} rosters)`,
      '$connect',
      ctx.meter.since(before).$connect,
      1,
      0,
    ),
  );
  others[0] = again as BenchClient;
  tick('cost: reconnect of a member');
}

/**
 * A member leaves (the group is full: nobody can join), then the sender's next send, whose cached
 * member list is behind by that change: brought up to date from the member log
 * (lambdas/data/member-log.ts), then, as the same run's baseline, with the change's log entry
 * removed first, so that the send reads every member again, as each send after a change did before
 * the log.
 */
async function sendsAfterALeave(
  ctx: Ctx,
  sender: BenchClient,
  chatId: string,
  text: string,
  id: (s: string) => string,
  offline: readonly string[],
): Promise<ActionCost[]> {
  const out: ActionCost[] = [];
  const cases = [
    { how: 'the member log', withLog: true },
    { how: 'the member list read again', withLog: false },
  ];
  for (const [i, { how, withLog }] of cases.entries()) {
    const left = await sender.request('removeMember', { chatId, userId: offline[i] });
    if (left.type === 'error') throw new Error(`bench: removeMember failed: ${JSON.stringify(left)}`);
    if (!withLog) await dropMemberLog(chatId);
    out.push(
      await measure(
        ctx,
        `sendMessage after a member left (group of ${BIG_GROUP}: ${how}, 1 KB)`,
        'sendMessage',
        () => sender.request('sendMessage', { chatId, text, clientMessageId: id(`left${i}`) }),
        1,
      ),
    );
  }
  return out;
}

/** Deletes a chat's member log (what an expired entry leaves: a gap). */
async function dropMemberLog(chatId: string): Promise<void> {
  const doc = getDocumentClient();
  const TableName = config().tableName;
  const { Items = [] } = await doc.send(
    new QueryCommand({
      TableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :log)',
      ExpressionAttributeValues: { ':pk': `CHAT#${chatId}`, ':log': 'MLOG#' },
      ConsistentRead: true,
    }),
  );
  for (const { pk, sk } of Items) await doc.send(new DeleteCommand({ TableName, Key: { pk, sk } }));
}

/** The rosters `joinRosters` lists a new socket of the user in (lambdas/domain/rosters.ts). */
async function rostersListedAtConnect(userId: string): Promise<number> {
  return (await rosterGroups({ store: store() }, userId)).groups.length;
}
