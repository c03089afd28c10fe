/**
 * The member log of big groups (lambdas/data/member-log.ts), on DynamoDB Local through real sockets:
 * a sender whose cached member list is stale replays the changes since instead of reading every
 * member again, follows invites, removals and an owner's leaving exactly, and falls back to the full
 * read when the log has a gap.
 *
 * How the test tells the two paths apart: it deletes a member's item behind the log's back (no
 * version, no entry). A replay keeps that member in the sender's list (their socket gets the
 * message); a full read no longer lists them (it gets nothing).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemberRecord } from '../../lambdas/data/items.ts';
import { MEMBER_LOG_FROM } from '../../lambdas/data/member-log.ts';
import { ChatStore } from '../../lambdas/data/store.ts';
import {
  connectUser,
  expectRefused,
  type Message,
  makeGroup,
  settle,
  type UserSocket,
} from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
let doc: DynamoDBDocumentClient;

beforeAll(() => {
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
});
afterAll(() => doc?.destroy());

/**
 * A group just big enough to keep a log (`extra` more: changes that leave it smaller are not logged):
 * an owner and `online` connected members, the rest offline.
 */
async function bigGroup(online: number, extra = 0) {
  const owner = await connectUser(stack, uniqueId('owner'));
  const sockets: UserSocket[] = [];
  for (let i = 0; i < online; i++) sockets.push(await connectUser(stack, uniqueId(`on${i}`)));
  const offline = Array.from({ length: MEMBER_LOG_FROM - online + extra }, (_, i) => uniqueId(`off${i}`));
  const chat = await makeGroup(owner, [...sockets.map((s) => s.userId), ...offline], 'big');
  expect(chat.memberCount).toBe(MEMBER_LOG_FROM + 1 + extra);
  return { owner, sockets, offline, chatId: chat.chatId };
}

const lateMember = (chatId: string, userId: string): MemberRecord => ({
  chatId,
  userId,
  role: 'member',
  lastReadSeq: 0,
  lastDeliveredSeq: 0,
  joinedAt: new Date().toISOString(),
  kind: 'group',
});

const logOf = async (chatId: string) =>
  (await stack.items(`CHAT#${chatId}`)).filter((i) => String(i.sk).startsWith('MLOG#'));

/** Removes a membership item without a version or a log entry (what only a full read sees). */
async function deleteBehindTheLog(chatId: string, userId: string) {
  const key = { pk: `CHAT#${chatId}`, sk: `MEMBER#${userId}` };
  const [item] = (await stack.items(key.pk)).filter((i) => i.sk === key.sk);
  await doc.send(new DeleteCommand({ TableName: stack.tableName, Key: key }));
  return () => doc.send(new PutCommand({ TableName: stack.tableName, Item: item }));
}

async function addToMemberCount(chatId: string, by: number) {
  await doc.send(
    new UpdateCommand({
      TableName: stack.tableName,
      Key: { pk: `CHAT#${chatId}`, sk: 'META' },
      UpdateExpression: 'ADD memberCount :by',
      ExpressionAttributeValues: { ':by': by },
    }),
  );
}

async function send(from: UserSocket, chatId: string, text: string): Promise<Message> {
  return (await from.ok('sendMessage', { chatId, text })).message as Message;
}

const got = (socket: UserSocket, text: string) =>
  socket.events('message.created').filter((f) => (f.message as Message).text === text).length;

describe('the member log of a big group', { timeout: 60_000 }, () => {
  it('logs each change with the version it was applied on, and senders replay them (no full read)', async () => {
    const { owner, sockets, offline, chatId } = await bigGroup(2);
    const [ann, zed] = sockets as [UserSocket, UserSocket];
    await send(owner, chatId, 'warm'); // the sender's container now holds the head
    expect(await logOf(chatId)).toEqual([]);

    const dan = await connectUser(stack, uniqueId('dan'));
    await owner.ok('invite', { chatId, userIds: [dan.userId] });
    await owner.ok('removeMember', { chatId, userId: offline[0] });
    await ann.ok('removeMember', { chatId, userId: ann.userId });
    const log = await logOf(chatId);
    expect(
      log.map((e) => ({ added: (e.added as { userId: string }[]).map((m) => m.userId), removed: e.removed })),
    ).toEqual([
      { added: [dan.userId], removed: [] },
      { added: [], removed: [offline[0]] },
      { added: [], removed: [ann.userId] },
    ]);
    // A chain: each entry names the version before it, and the last is the chat's memberVer.
    for (const [i, entry] of log.entries()) {
      if (i > 0) expect(entry.prevVer).toBe(log[i - 1]?.ver);
      expect(Number(entry.ttl)).toBeGreaterThan(Date.now() / 1000);
    }
    const [meta] = (await stack.items(`CHAT#${chatId}`)).filter((i) => i.sk === 'META');
    expect(meta?.memberVer).toBe(log.at(-1)?.ver);

    const restore = await deleteBehindTheLog(chatId, zed.userId);
    await send(owner, chatId, 'after the changes');
    await settle(stack, owner, ann, zed, dan);
    expect(got(dan, 'after the changes')).toBe(1); // invited: in the replayed list
    expect(got(ann, 'after the changes')).toBe(0); // left
    expect(got(zed, 'after the changes')).toBe(1); // replayed, not read again
    await restore();
  });

  // Each gap is of changes that add as many members as they remove, so that the member count on
  // `META` cannot tell: only the chain can.
  for (const gap of ['in the middle', 'at the end'] as const) {
    it(`reads the members again when the chain has a gap ${gap} (entries expired)`, async () => {
      const { owner, sockets, offline, chatId } = await bigGroup(1);
      const [zed] = sockets as [UserSocket];
      await send(owner, chatId, 'warm');
      const erin = await connectUser(stack, uniqueId('erin'));
      await owner.ok('removeMember', { chatId, userId: offline[0] });
      await owner.ok('invite', { chatId, userIds: [erin.userId] });
      await owner.ok('removeMember', { chatId, userId: offline[1] });
      if (gap === 'in the middle') await owner.ok('removeMember', { chatId, userId: offline[2] });
      const log = await logOf(chatId);
      for (const entry of log.slice(1, 3)) {
        await doc.send(
          new DeleteCommand({ TableName: stack.tableName, Key: { pk: entry.pk, sk: entry.sk } }),
        );
      }
      const restore = await deleteBehindTheLog(chatId, zed.userId);
      await send(owner, chatId, `after a gap ${gap}`);
      await settle(stack, owner, zed, erin);
      expect(got(erin, `after a gap ${gap}`)).toBe(1); // only the full read lists erin
      expect(got(zed, `after a gap ${gap}`)).toBe(0); // the full read no longer lists zed
      await restore();
    });
  }

  it('brings a just-invited sender in from the log (their first send), and follows an owner who left', async () => {
    const { owner, sockets, chatId } = await bigGroup(1);
    const [zed] = sockets as [UserSocket];
    await send(owner, chatId, 'warm');
    const fay = await connectUser(stack, uniqueId('fay'));
    await owner.ok('invite', { chatId, userIds: [fay.userId] });
    await owner.ok('removeMember', { chatId, userId: owner.userId }); // the owner leaves: someone else owns it
    const restore = await deleteBehindTheLog(chatId, zed.userId);
    await send(fay, chatId, 'hello from fay');
    await settle(stack, owner, zed, fay);
    expect(got(zed, 'hello from fay')).toBe(1); // fay's head came from the log
    expect(got(owner, 'hello from fay')).toBe(0);
    await restore();
    const { chat } = await fay.ok('getChat', { chatId });
    expect((chat as { ownerId: string }).ownerId).not.toBe(owner.userId);
  });

  it('refuses senders who are not members, with a current or a stale head: NOT_FOUND, nothing written', async () => {
    const { owner, sockets, offline, chatId } = await bigGroup(1);
    const [zed] = sockets as [UserSocket];
    const stranger = await connectUser(stack, uniqueId('stranger'));
    await send(owner, chatId, 'warm');
    // Removed since: the container's head still lists zed, the log says otherwise.
    await owner.ok('removeMember', { chatId, userId: zed.userId });
    await expectRefused(stack, zed, 'sendMessage', { chatId, text: 'still here?' }, 'NOT_FOUND');
    // The head is current now: a stranger is no member of it (and the log has nothing to add).
    await expectRefused(stack, stranger, 'sendMessage', { chatId, text: 'let me in' }, 'NOT_FOUND');
    // Stale again: the log brings it up to date, still without the stranger.
    await owner.ok('removeMember', { chatId, userId: offline[0] });
    await expectRefused(stack, stranger, 'sendMessage', { chatId, text: 'let me in' }, 'NOT_FOUND');
    await send(owner, chatId, 'members only');
  });

  it("reads the members again when a replay does not come to META's member count", async () => {
    const { owner, sockets, chatId } = await bigGroup(1);
    const [zed] = sockets as [UserSocket];
    await send(owner, chatId, 'warm');
    // zed's item goes behind the log's back, and the count with it: the log cannot know.
    const restore = await deleteBehindTheLog(chatId, zed.userId);
    await addToMemberCount(chatId, -1);
    await owner.ok('invite', { chatId, userIds: [uniqueId('gus')] });
    await send(owner, chatId, 'counted');
    await settle(stack, owner, zed);
    expect(got(zed, 'counted')).toBe(0); // the replay still listed zed: one too many, so read again
    await restore();
    await addToMemberCount(chatId, 1);
  });

  // What it shows: racing changes each land once and log once, in one chain a replay covers whole.
  // (The exact-version condition matters in a rarer interleaving, an add and a remove committing
  // inside a third change's read-to-write window: the next test builds that one.)
  // Three changes because a change tries 3 times: the last to land loses at most twice.
  it('logs each of three racing changes once, in one chain, and a sender replays them all', async () => {
    const { owner, sockets, offline, chatId } = await bigGroup(3, 2);
    const [ann, bea, zed] = sockets as [UserSocket, UserSocket, UserSocket];
    await send(owner, chatId, 'warm');
    const cal = await connectUser(stack, uniqueId('cal'));
    // Those that lose a race read again and retry.
    await Promise.all([
      owner.ok('invite', { chatId, userIds: [cal.userId] }),
      ann.ok('removeMember', { chatId, userId: ann.userId }),
      owner.ok('removeMember', { chatId, userId: offline[0] }),
    ]);
    const log = await logOf(chatId);
    expect(log).toHaveLength(3);
    for (const [i, entry] of log.entries()) if (i > 0) expect(entry.prevVer).toBe(log[i - 1]?.ver);
    const [meta] = (await stack.items(`CHAT#${chatId}`)).filter((i) => i.sk === 'META');
    expect(meta?.memberVer).toBe(log.at(-1)?.ver);
    const restore = await deleteBehindTheLog(chatId, zed.userId);
    await send(owner, chatId, 'after the race');
    await settle(stack, owner, ann, bea, zed, cal);
    expect([bea, zed, cal].map((s) => got(s, 'after the race'))).toEqual([1, 1, 1]);
    expect(got(ann, 'after the race')).toBe(0);
    await restore();
  });

  // An add and a remove commit between a change's read and its write: the member count is back where
  // the change read it and its version is still newer, so only `memberVer = prevVer` refuses it.
  // Without it the change would commit on a stale read and log an entry chained to a version two
  // changes back.
  it('refuses a change read before two others that left the member count as it was (ABA)', async () => {
    const { owner, offline, chatId } = await bigGroup(0);
    const chats = new ChatStore(doc, stack.tableName).chats;
    const read = async () => (await chats.getWithMembers(chatId, { consistent: true })).chat;
    const stale = await read();
    await owner.ok('invite', { chatId, userIds: [uniqueId('add')] });
    await owner.ok('removeMember', { chatId, userId: offline[0] });
    const current = await read();
    if (!stale || !current) throw new Error('the group is gone');
    expect(current.memberCount).toBe(stale.memberCount);
    const before = await stack.items(`CHAT#${chatId}`);
    expect(before.filter((i) => String(i.sk).startsWith('MLOG#'))).toHaveLength(2);

    const late = lateMember(chatId, uniqueId('late'));
    const ver = current.lastVer + 1;
    expect(await chats.addMembers(stale, [late], ver)).toBe('chat-changed');
    expect(await chats.removeMember(stale, offline[1] ?? '', undefined, ver)).toBe('chat-changed');
    expect(await stack.items(`CHAT#${chatId}`)).toEqual(before);
    // The same change read now commits, chained to the version before it.
    expect(await chats.addMembers(current, [late], ver)).toBe('changed');
    expect((await logOf(chatId)).at(-1)).toMatchObject({ ver, prevVer: current.memberVer });
  });

  it('keeps no log for a group under the size', async () => {
    const owner = await connectUser(stack, uniqueId('owner'));
    const chat = await makeGroup(owner, [uniqueId('a'), uniqueId('b')]);
    await owner.ok('invite', { chatId: chat.chatId, userIds: [uniqueId('c')] });
    expect(await logOf(chat.chatId)).toEqual([]);
  });
});
