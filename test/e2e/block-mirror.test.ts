/**
 * The mirror of blocks on direct chats (`blockedSenders` on `META`, lambdas/domain/block-mirror.ts):
 * a send in a direct chat reads no block item, because its seq allocation refuses a sender the mirror
 * lists. These tests hold the mirror to the block items: block and unblock change both, a direct chat
 * created after a block carries it, a block change and a chat's creation that race never leave them
 * apart, a direct chat older than the mirror keeps its read check until a send brings it up to date,
 * and no frame ever shows the mirror.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatStore } from '../../lambdas/data/store.ts';
import { DEFAULT_MAX_BLOCKS } from '../../lambdas/shared/user-caps.ts';
import { repairBlockMirror } from '../../scripts/repair-block-mirror.ts';
import {
  closeAll,
  connectUsers,
  expectRefused,
  listChats,
  makeDirect,
  sendText,
  type UserSocket,
} from '../support/chat.ts';
import { blockBeforeTheMirror, metaOf, olderThanTheMirror } from '../support/older-chats.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack();
/** The cap the repository is given (blockUser's, by default). */
const CAP = DEFAULT_MAX_BLOCKS;
let client: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let store: ChatStore;

beforeAll(() => {
  client = new DynamoDBClient({ endpoint: stack.dynamoEndpoint });
  doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  store = new ChatStore(doc, stack.tableName);
});
afterAll(() => client?.destroy());

const meta = (chatId: string) => metaOf(stack, chatId);
const blockedSenders = async (chatId: string) => [...((await meta(chatId)).blockedSenders as Set<string>)];
const hasBlockItem = async (blockerId: string, blockedId: string) =>
  (await stack.items(`USER#${blockerId}`)).some((item) => item.sk === `BLOCK#${blockedId}`);

/** Refused like any send the other member's block refuses: FORBIDDEN, nothing written. */
const refusedSend = (socket: UserSocket, chatId: string) =>
  expectRefused(stack, socket, 'sendMessage', { chatId, text: 'hello?' }, 'FORBIDDEN');

/** Nothing of the mirror in any frame the socket got (replies and events alike). */
const expectNoMirrorIn = (socket: UserSocket) => {
  const seen = JSON.stringify(socket.frames);
  expect(seen).not.toMatch(/blockedSenders|blocksMirrored/);
};

describe('the mirror of blocks on direct chats', () => {
  it('follows block and unblock on the pair’s chat, refuses by the allocation, and never shows', async () => {
    const [alice, bob] = (await connectUsers(stack, 2, 'mirror')) as [UserSocket, UserSocket];
    const { chatId } = await makeDirect(bob, alice.userId);
    expect(await meta(chatId)).toMatchObject({ blocksMirrored: true });
    expect((await meta(chatId)).blockedSenders).toBeUndefined();

    await alice.ok('blockUser', { userId: bob.userId });
    expect(await blockedSenders(chatId)).toEqual([bob.userId]);
    await refusedSend(bob, chatId);
    await sendText(alice, chatId, 'the blocker still writes');

    await bob.ok('getChat', { chatId });
    await listChats(bob);
    expectNoMirrorIn(bob);
    expectNoMirrorIn(alice);

    await alice.ok('unblockUser', { userId: bob.userId });
    expect((await meta(chatId)).blockedSenders).toBeUndefined();
    await sendText(bob, chatId, 'back again');
    await closeAll(stack, alice, bob);
  });

  it('writes a block made before the chat onto the new chat, in both directions', async () => {
    const [alice, dave] = (await connectUsers(stack, 2, 'later')) as [UserSocket, UserSocket];
    await alice.ok('blockUser', { userId: dave.userId });
    await dave.ok('blockUser', { userId: alice.userId });
    await dave.ok('unblockUser', { userId: alice.userId });
    // alice keeps every power: she may start a chat with the user she blocked.
    const { chatId } = await makeDirect(alice, dave.userId);
    expect(await blockedSenders(chatId)).toEqual([dave.userId]);
    await refusedSend(dave, chatId);
    await sendText(alice, chatId, 'only one way');
    await closeAll(stack, alice, dave);
  });

  it('never leaves the mirror apart from the block items when a block races the chat’s creation', async () => {
    const sockets = await connectUsers(stack, 8, 'race');
    const pairs = [0, 2, 4, 6].map((i) => [sockets[i], sockets[i + 1]] as [UserSocket, UserSocket]);
    await Promise.all(
      pairs.map(async ([alice, bob], i) => {
        // alice blocks bob while one of them creates their direct chat (both orders).
        const creator = i % 2 === 0 ? alice : bob;
        const [created] = await Promise.all([
          creator.request('createChat', {
            kind: 'direct',
            userId: creator === alice ? bob.userId : alice.userId,
          }),
          alice.ok('blockUser', { userId: bob.userId }),
        ]);
        const chatId = await store.chats.getDirectChatId(alice.userId, bob.userId);
        if (created.type === 'error') {
          // bob lost the race: the block came first and refuses him the chat.
          expect(created).toMatchObject({ code: 'FORBIDDEN' });
          expect(chatId).toBeUndefined();
          return;
        }
        expect(chatId).toBeDefined();
        expect(await hasBlockItem(alice.userId, bob.userId)).toBe(true);
        expect(await blockedSenders(chatId as string)).toEqual([bob.userId]);
        await refusedSend(bob, chatId as string);
      }),
    );
    await closeAll(stack, ...sockets);
  });

  it('refuses a block change made against an old view of the pair, and a chat made against old blocks', async () => {
    const [alice, bob] = (await connectUsers(stack, 2, 'stale')) as [UserSocket, UserSocket];
    const record = { blockerId: alice.userId, blockedId: bob.userId, createdAt: new Date().toISOString() };
    // Read: no chat. Meanwhile the chat is created (from the blocks as they were: none).
    const before = await store.blocks.pairBlocks(alice.userId, bob.userId);
    const { chatId } = await makeDirect(bob, alice.userId);
    expect(await store.blocks.block(record, { chatId: undefined, live: true }, CAP)).toBe('pair-changed');
    expect(await hasBlockItem(alice.userId, bob.userId)).toBe(false);

    // A chat created from the blocks as read before a block: refused, nothing of it stored.
    await store.blocks.countBlocks(alice.userId, CAP); // as blockUser does for a user's first block
    expect(await store.blocks.block(record, { chatId, live: true }, CAP)).toBe('blocked');
    const [carol] = (await connectUsers(stack, 1, 'stale')) as [UserSocket];
    const stale = await store.blocks.pairBlocks(alice.userId, carol.userId);
    await store.blocks.block({ ...record, blockedId: carol.userId }, { chatId: undefined, live: true }, CAP);
    const chat = {
      chatId: 'c_stale-view-of-blocks',
      kind: 'direct' as const,
      name: null,
      ownerId: alice.userId,
      lastSeq: 0,
      memberCount: 2,
      createdAt: record.createdAt,
      lastActivityAt: record.createdAt,
      lastVer: 1,
      memberVer: 1,
      lastAllocAt: 0,
      minSyncVer: 0,
      blocksMirrored: true as const,
    };
    const members = [alice.userId, carol.userId].map((userId) => ({
      chatId: chat.chatId,
      userId,
      role: 'member' as const,
      lastReadSeq: 0,
      lastDeliveredSeq: 0,
      joinedAt: record.createdAt,
      kind: 'direct' as const,
    }));
    expect(await store.chats.create(chat, members, undefined, stale)).toEqual({ status: 'blocks-changed' });
    expect(await stack.items(`CHAT#${chat.chatId}`)).toEqual([]);
    expect(await store.chats.getDirectChatId(alice.userId, carol.userId)).toBeUndefined();
    expect(before).toEqual({ a: alice.userId, b: bob.userId, aBlocksB: false, bBlocksA: false });
    await closeAll(stack, alice, bob, carol);
  });

  it('keeps the read check in a direct chat older than the mirror until a send brings it up to date', async () => {
    const [alice, bob] = (await connectUsers(stack, 2, 'older')) as [UserSocket, UserSocket];
    const { chatId } = await makeDirect(alice, bob.userId);
    // As before the mirror: no flag on META, and alice's block of bob stored without it.
    await olderThanTheMirror(stack, chatId);
    await blockBeforeTheMirror(stack, alice.userId, bob.userId);
    await refusedSend(bob, chatId); // the read check
    expect((await meta(chatId)).blocksMirrored).toBeUndefined();

    await sendText(alice, chatId, 'brings the chat up to date');
    await stack.gateway.idle();
    expect(await meta(chatId)).toMatchObject({ blocksMirrored: true });
    expect(await blockedSenders(chatId)).toEqual([bob.userId]);
    await refusedSend(bob, chatId);

    await alice.ok('unblockUser', { userId: bob.userId });
    expect((await meta(chatId)).blockedSenders).toBeUndefined();
    await sendText(bob, chatId, 'unblocked');
    await closeAll(stack, alice, bob);
  });

  it('is repaired after older code changed a block without it: sends read the block items, then mirror afresh', async () => {
    const [alice, bob] = (await connectUsers(stack, 2, 'repair')) as [UserSocket, UserSocket];
    const { chatId } = await makeDirect(alice, bob.userId);
    await alice.ok('blockUser', { userId: bob.userId });
    // Older code's unblock: the block item goes, the mirror stays (bob is now refused by mistake).
    await doc.send(
      new DeleteCommand({
        TableName: stack.tableName,
        Key: { pk: `USER#${alice.userId}`, sk: `BLOCK#${bob.userId}` },
      }),
    );
    await refusedSend(bob, chatId);

    expect(await repairBlockMirror(doc, stack.tableName)).toBeGreaterThanOrEqual(1);
    expect((await meta(chatId)).blocksMirrored).toBeUndefined();
    expect((await meta(chatId)).blockedSenders).toBeUndefined();
    await sendText(bob, chatId, 'the block items say yes');
    await stack.gateway.idle();
    expect(await meta(chatId)).toMatchObject({ blocksMirrored: true });
    expect((await meta(chatId)).blockedSenders).toBeUndefined();
    await closeAll(stack, alice, bob);
  });
});
