/**
 * What a blocker does without writing to anyone (`typing`, receipts) never reaches the users they
 * have blocked (docs/protocol.md, "Blocking and presence privacy"). Before, when ann blocked bob, her
 * `message.delivered` and `message.read` (and her `typing`) still reached bob in every group they
 * share, and her receipts in their direct chat: since the SDK marks what arrived delivered as it
 * reconnects, bob saw the moment ann came online while `getPresence` answered him about her as about
 * an unknown id, which also told him of the block. Everyone else still gets them, the blocker's own
 * other sockets included; and a long block list is read only as far as the peers it is asked about
 * (then by key: docs/data-model.md, "Blocking and presence privacy").
 */
import { describe, expect, it } from 'vitest';
import {
  anotherSocket,
  closeAll,
  connectUser,
  eventsOf,
  makeDirect,
  makeGroup,
  sendText,
  settle,
  type UserSocket,
} from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { blockBeforeTheMirror, metaOf, olderThanTheMirror } from '../support/older-chats.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

/** A group of carol (its owner), ann and bob, all online, in which ann has blocked bob. */
async function club(prefix: string) {
  const carol = await connectUser(stack, uniqueId(`${prefix}-carol`));
  const ann = await connectUser(stack, uniqueId(`${prefix}-ann`));
  const bob = await connectUser(stack, uniqueId(`${prefix}-bob`));
  const chat = await makeGroup(carol, [ann.userId, bob.userId], 'Club');
  await ann.ok('blockUser', { userId: bob.userId });
  return { carol, ann, bob, chatId: chat.chatId };
}

const from = (user: UserSocket, chatId: string) => (f: Frame) =>
  f.userId === user.userId && f.chatId === chatId;

describe('a blocker’s typing and receipts', () => {
  it('never reach the blocked user in a shared group, not even the delivery marked as she reconnects', async () => {
    const world = await club('rc');
    const { carol, bob, chatId } = world;
    await closeAll(stack, world.ann);
    const sent = await sendText(bob, chatId, 'anyone there?');
    // ann comes back; her SDK marks what arrived delivered (client/src/sync.ts), then she reads it.
    const ann = await connectUser(stack, world.ann.userId);
    await ann.ok('markDelivered', { chatId, seq: sent.seq });
    await ann.ok('readMessage', { chatId, messageId: sent.messageId });
    await settle(stack, ann, bob, carol);
    expect(eventsOf(bob, 'message.delivered', from(ann, chatId))).toEqual([]);
    expect(eventsOf(bob, 'message.read', from(ann, chatId))).toEqual([]);
    // Nothing else tells him she is online either.
    const presence = (await bob.ok('getPresence', { userIds: [ann.userId] })).presence as unknown[];
    expect(presence).toEqual([{ userId: ann.userId, online: false, lastSeenAt: null }]);
    // carol, whom ann has not blocked, gets both, as before.
    expect(eventsOf(carol, 'message.delivered', from(ann, chatId))).toEqual([
      { type: 'message.delivered', chatId, userId: ann.userId, lastDeliveredSeq: sent.seq },
    ]);
    expect(eventsOf(carol, 'message.read', from(ann, chatId))).toEqual([
      { type: 'message.read', chatId, userId: ann.userId, lastReadSeq: sent.seq },
    ]);
    // The cursors are still stored (getChat lists them to every member: docs/security.md).
    await closeAll(stack, carol, ann, bob);
  });

  it('leaves the blocked user out of her typing in a shared group; the others see it', async () => {
    const { carol, ann, bob, chatId } = await club('tp');
    const seen = carol.event('typing', from(ann, chatId));
    await ann.ok('typing', { chatId, isTyping: true });
    expect(await seen).toMatchObject({ userId: ann.userId, isTyping: true });
    await ann.ok('typing', { chatId, isTyping: false });
    await settle(stack, ann, bob, carol);
    expect(eventsOf(bob, 'typing', from(ann, chatId))).toEqual([]);
    expect(eventsOf(carol, 'typing', from(ann, chatId))).toHaveLength(2);
    // bob's own typing still reaches ann and carol: it is his activity, and the group is theirs.
    const hers = ann.event('typing', from(bob, chatId));
    await bob.ok('typing', { chatId });
    await hers;
    await closeAll(stack, carol, ann, bob);
  });

  it('keeps her receipts in their direct chat from him; her own other socket still gets her read', async () => {
    const ann = await connectUser(stack, uniqueId('dr-ann'));
    const ann2 = await anotherSocket(stack, ann);
    const bob = await connectUser(stack, uniqueId('dr-bob'));
    const { chatId } = await makeDirect(bob, ann.userId);
    const said = await sendText(bob, chatId, 'hi ann');
    await ann.ok('blockUser', { userId: bob.userId });
    await ann.ok('markDelivered', { chatId, seq: said.seq });
    await ann.ok('readMessage', { chatId, messageId: said.messageId });
    await settle(stack, ann, ann2, bob);
    expect(eventsOf(bob, 'message.delivered', from(ann, chatId))).toEqual([]);
    expect(eventsOf(bob, 'message.read', from(ann, chatId))).toEqual([]);
    expect(eventsOf(ann2, 'message.read', from(ann, chatId))).toEqual([
      { type: 'message.read', chatId, userId: ann.userId, lastReadSeq: said.seq },
    ]);
    // Once she unblocks him he hears of them again.
    await ann.ok('unblockUser', { userId: bob.userId });
    const next = await sendText(bob, chatId, 'still there?');
    const read = bob.event('message.read', from(ann, chatId));
    await ann.ok('readMessage', { chatId, messageId: next.messageId });
    expect(await read).toMatchObject({ lastReadSeq: next.seq });
    await closeAll(stack, ann, ann2, bob);
  });

  it('keeps them from him in a direct chat older than the blocks’ mirror too (her list read)', async () => {
    const ann = await connectUser(stack, uniqueId('old-ann'));
    const bob = await connectUser(stack, uniqueId('old-bob'));
    const { chatId } = await makeDirect(bob, ann.userId);
    const said = await sendText(bob, chatId, 'hi ann');
    await olderThanTheMirror(stack, chatId); // after the send, which would bring it up to date
    await ann.ok('blockUser', { userId: bob.userId });
    expect((await metaOf(stack, chatId)).blocksMirrored).toBeUndefined();
    await ann.ok('markDelivered', { chatId, seq: said.seq });
    await ann.ok('readMessage', { chatId, messageId: said.messageId });
    await settle(stack, ann, bob);
    expect(eventsOf(bob, 'message.delivered', from(ann, chatId))).toEqual([]);
    expect(eventsOf(bob, 'message.read', from(ann, chatId))).toEqual([]);
    await closeAll(stack, ann, bob);
  });

  it('reads a long block list only as far as the peers online, then by key, with the same outcome', async () => {
    const { carol, ann, bob, chatId } = await club('long');
    // Two peers online: the list is read up to 40 entries; ann has blocked 45 more (by raw writes).
    for (let i = 0; i < 45; i++) await blockBeforeTheMirror(stack, ann.userId, uniqueId(`long-other${i}`));
    const sent = await sendText(carol, chatId, 'hello club');
    await ann.ok('markDelivered', { chatId, seq: sent.seq });
    await ann.ok('readMessage', { chatId, messageId: sent.messageId });
    await ann.ok('typing', { chatId });
    await settle(stack, ann, bob, carol);
    for (const type of ['message.delivered', 'message.read', 'typing']) {
      expect(eventsOf(bob, type, from(ann, chatId))).toEqual([]);
      expect(eventsOf(carol, type, from(ann, chatId))).toHaveLength(1);
    }
    await closeAll(stack, carol, ann, bob);
  });
});
