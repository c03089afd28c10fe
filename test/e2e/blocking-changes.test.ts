/**
 * Blocking and the changes to messages, end to end over real sockets: when A blocks B, B's `react`
 * and `editMessage` in their direct chat are FORBIDDEN like a send (nothing written but the rate
 * limiter's windows, nothing told to A), B may still delete his own message, and A gets no `typing`
 * from B there (B is answered as always) while A still gets everyone else's. The blocker's actions
 * and group chats are unchanged; unblocking restores everything; a head B's instance cached before
 * the block, and a direct chat older than the blocks' mirror, are enforced alike; a block made after
 * the chat was read is refused by the change's version allocation itself, and so is one that older
 * code stored without the mirror in a chat whose mirror the repair removed after the chat was read.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ChatRepository } from '../../lambdas/data/chats.ts';
import { ChatStore } from '../../lambdas/data/store.ts';
import { tableSnapshot } from '../fault/hostile/harness.ts';
import {
  type Chat,
  connectUsers,
  eventsOf,
  expectRefused,
  forChat,
  type Message,
  makeDirect,
  makeGroup,
  sendText,
  settle,
  type UserSocket,
} from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { blockBeforeTheMirror, olderThanTheMirror } from '../support/older-chats.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack();
let client: DynamoDBClient;
let doc: DynamoDBDocumentClient;

beforeAll(() => {
  client = new DynamoDBClient({ endpoint: stack.dynamoEndpoint });
  doc = DynamoDBDocumentClient.from(client);
});
afterAll(() => client?.destroy());
afterEach(() => {
  vi.restoreAllMocks();
});

/** bob's refusals look like any other: nothing about blocking, and each names what was refused. */
const REACT = /^You cannot react to messages in this chat\.$/;
const EDIT = /^You cannot edit messages in this chat\.$/;

/** The changes of `chat`'s other members that concern it, that `socket` got after `mark`. */
const changesSince = (socket: UserSocket, mark: number, chatId: string): Frame[] =>
  socket.frames
    .slice(mark)
    .filter((f) => ['message.reacted', 'message.updated', 'typing'].includes(String(f.type)))
    .filter(forChat(chatId));

/** A world where bob and alice share a direct chat holding a message of each. */
async function world(prefix: string) {
  const [alice, bob, carol] = (await connectUsers(stack, 3, prefix)) as [UserSocket, UserSocket, UserSocket];
  const ab = await makeDirect(bob, alice.userId);
  const hers = await sendText(alice, ab.chatId, 'from alice');
  // bob's send caches the chat head in the (one, local) instance: the block comes after it.
  const his = await sendText(bob, ab.chatId, 'from bob');
  const spare = await sendText(bob, ab.chatId, 'bob deletes this one');
  return { alice, bob, carol, ab, hers, his, spare };
}

/** Every change bob may no longer make in `chatId`: FORBIDDEN, the table unchanged but the limiter's. */
async function expectChangesRefused(bob: UserSocket, chatId: string, hers: Message, his: Message) {
  const before = await tableSnapshot(stack, doc);
  const refused = (action: string, fields: Record<string, unknown>, message: RegExp) =>
    expectRefused(stack, bob, action, { chatId, ...fields }, 'FORBIDDEN', { message });
  await refused('react', { messageId: hers.messageId, emoji: '👍' }, REACT);
  await refused('react', { messageId: his.messageId, emoji: '❤️' }, REACT);
  // Even one that would change nothing (removing an emoji he does not have).
  await refused('react', { messageId: hers.messageId, emoji: '🙂', remove: true }, REACT);
  await refused('editMessage', { messageId: his.messageId, text: 'changed after the block' }, EDIT);
  expect(await tableSnapshot(stack, doc)).toEqual(before);
}

describe('blocking and changes to messages in the direct chat', () => {
  it('refuses react and edit, lets the author delete, keeps typing from the blocker, even on a cached head', async () => {
    const { alice, bob, carol, ab, hers, his, spare } = await world('changes');
    const carols = await makeDirect(carol, alice.userId);
    await alice.ok('blockUser', { userId: bob.userId });
    const mark = alice.frames.length;

    await expectChangesRefused(bob, ab.chatId, hers, his);

    // Typing: bob is answered as before; alice never hears of it, while she still hears carol.
    expect(await bob.request('typing', { chatId: ab.chatId })).toEqual({
      type: 'ack',
      action: 'typing',
      requestId: expect.any(String),
      chatId: ab.chatId,
      isTyping: true,
    });
    bob.send({ action: 'typing', chatId: ab.chatId, isTyping: false });
    const fromCarol = alice.event('typing', forChat(carols.chatId));
    await carol.ok('typing', { chatId: carols.chatId });
    expect(await fromCarol).toMatchObject({ userId: carol.userId, isTyping: true });

    // Removing content stays allowed: bob deletes his own message, and alice is told.
    const deleted = alice.event('message.deleted', (f) => f.messageId === spare.messageId);
    await bob.ok('deleteMessage', { chatId: ab.chatId, messageId: spare.messageId });
    await deleted;
    await settle(stack, alice, bob);
    expect(changesSince(alice, mark, ab.chatId)).toEqual([]);
    expect(JSON.stringify(bob.frames)).not.toMatch(/block/i);

    // The blocker's own actions are unchanged: she reacts, edits and types, and bob hears it all.
    const reacted = bob.event('message.reacted', forChat(ab.chatId));
    await alice.ok('react', { chatId: ab.chatId, messageId: his.messageId, emoji: '👀' });
    expect(await reacted).toMatchObject({ userId: alice.userId, emoji: '👀' });
    const updated = bob.event('message.updated', forChat(ab.chatId));
    await alice.ok('editMessage', { chatId: ab.chatId, messageId: hers.messageId, text: 'edited' });
    expect(((await updated).message as Message).text).toBe('edited');
    const typing = bob.event('typing', forChat(ab.chatId));
    await alice.ok('typing', { chatId: ab.chatId });
    expect(await typing).toMatchObject({ userId: alice.userId });
  });

  it('leaves group chats alone: bob reacts, edits and types where alice reads', async () => {
    const { alice, bob, carol } = await world('groups');
    const group: Chat = await makeGroup(carol, [alice.userId, bob.userId], 'All three');
    const said = await sendText(bob, group.chatId, 'in the group');
    await alice.ok('blockUser', { userId: bob.userId });
    const reacted = alice.event('message.reacted', forChat(group.chatId));
    await bob.ok('react', { chatId: group.chatId, messageId: said.messageId, emoji: '👍' });
    await reacted;
    const updated = alice.event('message.updated', forChat(group.chatId));
    await bob.ok('editMessage', { chatId: group.chatId, messageId: said.messageId, text: 'still here' });
    await updated;
    const typing = alice.event('typing', forChat(group.chatId));
    await bob.ok('typing', { chatId: group.chatId });
    expect(await typing).toMatchObject({ userId: bob.userId });
  });

  it('restores react, edit and typing once unblocked', async () => {
    const { alice, bob, ab, hers, his } = await world('unblock');
    await alice.ok('blockUser', { userId: bob.userId });
    await expectChangesRefused(bob, ab.chatId, hers, his);
    await alice.ok('unblockUser', { userId: bob.userId });

    const reacted = alice.event('message.reacted', forChat(ab.chatId));
    await bob.ok('react', { chatId: ab.chatId, messageId: hers.messageId, emoji: '👍' });
    expect(await reacted).toMatchObject({ userId: bob.userId, emoji: '👍' });
    const updated = alice.event('message.updated', forChat(ab.chatId));
    await bob.ok('editMessage', { chatId: ab.chatId, messageId: his.messageId, text: 'friends again' });
    expect(((await updated).message as Message).text).toBe('friends again');
    const typing = alice.event('typing', forChat(ab.chatId));
    await bob.ok('typing', { chatId: ab.chatId });
    expect(await typing).toMatchObject({ userId: bob.userId });
  });

  it('enforces the block in a direct chat older than the mirror (one key lookup)', async () => {
    const { alice, bob, ab, hers, his } = await world('older');
    await olderThanTheMirror(stack, ab.chatId);
    await blockBeforeTheMirror(stack, alice.userId, bob.userId);
    const mark = alice.frames.length;
    await expectChangesRefused(bob, ab.chatId, hers, his);
    await bob.ok('typing', { chatId: ab.chatId });
    await settle(stack, alice, bob);
    expect(changesSince(alice, mark, ab.chatId)).toEqual([]);
    expect(eventsOf(alice, 'typing', forChat(ab.chatId))).toEqual([]);
  });

  it('refuses a change whose version is allocated after a block made since the chat was read', async () => {
    const { alice, bob, ab } = await world('race');
    const store = new ChatStore(doc, stack.tableName);
    const now = Date.now();
    // Not blocked: the guarded allocation takes a version as any other.
    expect(await store.sequence.allocateVersion(ab.chatId, now, undefined, bob.userId)).toMatchObject({
      status: 'allocated',
    });
    await alice.ok('blockUser', { userId: bob.userId });
    const before = await tableSnapshot(stack, doc);
    expect(await store.sequence.allocateVersion(ab.chatId, now, undefined, bob.userId)).toEqual({
      status: 'blocked',
    });
    expect(await tableSnapshot(stack, doc)).toEqual(before);
    // The blocker's allocations, and unguarded ones (a deletion), go on.
    expect(await store.sequence.allocateVersion(ab.chatId, now, undefined, alice.userId)).toMatchObject({
      status: 'allocated',
    });
    expect(await store.sequence.allocateVersion(ab.chatId, now)).toMatchObject({ status: 'allocated' });
  });

  it('refuses a change that trusted a mirror the repair removed after the chat was read', async () => {
    const { alice, bob, ab, hers, his } = await world('repaired');
    // bob's changes read the chat as it was: mirrored, nobody blocked (an eventually consistent read).
    const asRead = await new ChatStore(doc, stack.tableName).chats.getWithMembers(ab.chatId, {
      consistent: true,
    });
    expect(asRead?.chat).toMatchObject({ blocksMirrored: true });
    const read = ChatRepository.prototype.getWithMembers;
    vi.spyOn(ChatRepository.prototype, 'getWithMembers').mockImplementation(function (
      this: ChatRepository,
      id,
      options = {},
    ) {
      return id === ab.chatId && !options.consistent ? Promise.resolve(asRead) : read.call(this, id, options);
    });
    // Meanwhile older code (a rollback) stored alice's block of bob without the mirror, and the repair
    // removed the mirror (npm run repair:block-mirror, as it does to every direct chat).
    await blockBeforeTheMirror(stack, alice.userId, bob.userId);
    await olderThanTheMirror(stack, ab.chatId);
    const mark = alice.frames.length;
    const before = await tableSnapshot(stack, doc);
    // A guarded allocation that trusts the mirror is refused by the chat that lost it.
    const store = new ChatStore(doc, stack.tableName);
    expect(await store.sequence.allocateVersion(ab.chatId, Date.now(), undefined, bob.userId, true)).toEqual({
      status: 'unmirrored',
    });
    const refused = (action: string, fields: Record<string, unknown>, message: RegExp) =>
      expectRefused(stack, bob, action, { chatId: ab.chatId, ...fields }, 'FORBIDDEN', { message });
    await refused('react', { messageId: hers.messageId, emoji: '👍' }, REACT);
    await refused('editMessage', { messageId: his.messageId, text: 'changed after the block' }, EDIT);
    expect(await tableSnapshot(stack, doc)).toEqual(before);
    await settle(stack, alice, bob);
    expect(changesSince(alice, mark, ab.chatId)).toEqual([]);

    // Not blocked: the change reads the block item, finds none, and takes a version after all.
    await alice.ok('unblockUser', { userId: bob.userId });
    const reacted = alice.event('message.reacted', forChat(ab.chatId));
    await bob.ok('react', { chatId: ab.chatId, messageId: hers.messageId, emoji: '👍' });
    expect(await reacted).toMatchObject({ userId: bob.userId, emoji: '👍' });
  });
});
