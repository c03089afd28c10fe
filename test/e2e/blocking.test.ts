/**
 * Blocking end to end over real sockets: when A blocks B, B can no longer create a direct chat with
 * A, send in their direct chat, or invite A anywhere (FORBIDDEN, nothing written), while A keeps
 * every power over B and group chats are unaffected; the block is private to A (B's refusals say
 * nothing of it, B's partition and frames hold nothing of it); unblocking restores everything;
 * `listBlocked` pages.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Chat,
  connectUser,
  eventsOf,
  expectRefused,
  forChat,
  listChats,
  makeDirect,
  makeGroup,
  sendText,
  settle,
  type UserSocket,
} from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
/** alice blocks bob; carol is a bystander; dave blocks bob without ever having talked to him. */
let alice: UserSocket;
let bob: UserSocket;
let carol: UserSocket;
let dave: UserSocket;
/** alice ↔ bob, made before the block. */
let ab: Chat;
/** carol's group with alice and bob. */
let carols: Chat;
/** bob's group with carol only. */
let bobs: Chat;

beforeAll(async () => {
  alice = await connectUser(stack, uniqueId('alice'));
  bob = await connectUser(stack, uniqueId('bob'));
  carol = await connectUser(stack, uniqueId('carol'));
  dave = await connectUser(stack, uniqueId('dave'));
  ab = await makeDirect(bob, alice.userId);
  carols = await makeGroup(carol, [alice.userId, bob.userId], 'Carol’s');
  bobs = await makeGroup(bob, [carol.userId], 'Bob’s');
  await sendText(bob, ab.chatId, 'before the block');
});

/** The frames `socket` got after `mark` that are not replies. */
const eventsSince = (socket: UserSocket, mark: number): Frame[] =>
  socket.frames.slice(mark).filter((f) => !['ack', 'error', 'pong'].includes(String(f.type)));

/** Every FORBIDDEN bob gets must look like any other refusal: nothing about blocking. */
const NEUTRAL = /^(?![\s\S]*block)[\s\S]{6,}$/i;

/** The refusals of every rule, bob acting against `target` (who blocked him). */
async function expectAllRefused(target: UserSocket, direct: Chat | undefined): Promise<Frame[]> {
  const chatsBefore = (await listChats(bob)).map((c) => c.chatId).sort();
  const replies: Frame[] = [];
  const forbidden = (action: string, fields: Record<string, unknown>, chatId?: string) =>
    expectRefused(stack, bob, action, fields, 'FORBIDDEN', { chatId, message: NEUTRAL }).then((r) =>
      replies.push(r),
    );
  await forbidden('createChat', { kind: 'direct', userId: target.userId });
  if (direct) {
    await forbidden('sendMessage', { chatId: direct.chatId, text: 'hello?' });
    await forbidden('sendMessage', { chatId: direct.chatId, text: 'again', clientMessageId: uniqueId('c') });
    const sendAt = new Date(Date.now() + 3600_000).toISOString();
    await forbidden('scheduleMessage', { chatId: direct.chatId, text: 'later', sendAt });
    expect((await bob.ok('listScheduled')).scheduled).toEqual([]);
    // Inviting a third person into the direct chat starts a group with the blocker in it.
    await forbidden('invite', { chatId: direct.chatId, userIds: [carol.userId] }, direct.chatId);
  }
  await forbidden('invite', { chatId: bobs.chatId, userIds: [target.userId] });
  await forbidden('invite', { chatId: bobs.chatId, userIds: [uniqueId('x'), target.userId] });
  await forbidden('createChat', { kind: 'group', name: 'Sneaky', memberIds: [carol.userId, target.userId] });
  // No chat was created or joined by any of these.
  expect((await listChats(bob)).map((c) => c.chatId).sort()).toEqual(chatsBefore);
  return replies;
}

describe('blocking', () => {
  it('refuses every rule to the blocked user, privately, and leaves the blocker every power', async () => {
    const marks = [alice, bob, carol].map((s) => s.frames.length);
    expect(await alice.ok('blockUser', { userId: bob.userId })).toEqual({
      type: 'ack',
      action: 'blockUser',
      requestId: expect.any(String),
      userId: bob.userId,
    });
    await settle(stack, alice, bob, carol);
    // Nobody hears of the block.
    expect(eventsSince(bob, marks[1] ?? 0)).toEqual([]);
    expect(eventsSince(carol, marks[2] ?? 0)).toEqual([]);

    const aliceMark = alice.frames.length;
    const replies = await expectAllRefused(alice, ab);
    await settle(stack, alice, carol);
    expect(eventsSince(alice, aliceMark)).toEqual([]);
    expect(eventsOf(carol, 'chat.created', (f) => (f.chat as Chat).name === 'Sneaky')).toEqual([]);

    // The same refusals as a user who blocked bob without ever talking to him (and the same as
    // bob gets for a direct chat nobody refuses him... except that one succeeds).
    await dave.ok('blockUser', { userId: bob.userId });
    const fromDave = await expectRefused(
      stack,
      bob,
      'createChat',
      { kind: 'direct', userId: dave.userId },
      'FORBIDDEN',
    );
    expect(fromDave.message).toBe(replies[0]?.message);

    // Nothing about the block is where bob's requests read: his partition holds no block item.
    expect(
      (await stack.items(`USER#${bob.userId}`)).filter((i) => String(i.sk).startsWith('BLOCK#')),
    ).toEqual([]);
    expect((await bob.ok('listBlocked')).userIds).toEqual([]);

    // The blocker keeps every power: she writes in the direct chat, finds it again, invites him.
    const received = bob.event('message.created', forChat(ab.chatId));
    await sendText(alice, ab.chatId, 'I can still write');
    expect(((await received).message as { text: string }).text).toBe('I can still write');
    const again = await alice.ok('createChat', { kind: 'direct', userId: bob.userId });
    expect(again).toMatchObject({ created: false, chat: { chatId: ab.chatId } });
    const alices = await makeGroup(alice, [carol.userId], 'Alice’s');
    await alice.ok('invite', { chatId: alices.chatId, userIds: [bob.userId] });

    // Group chats are unaffected: bob still writes where alice reads.
    const inGroup = alice.event('message.created', forChat(carols.chatId));
    await sendText(bob, carols.chatId, 'hi all');
    expect(((await inGroup).message as { senderId: string }).senderId).toBe(bob.userId);
  });

  it('unblocking restores every rule', async () => {
    const eve = await connectUser(stack, uniqueId('eve'));
    const be = await makeDirect(bob, eve.userId);
    await eve.ok('blockUser', { userId: bob.userId });
    await expectAllRefused(eve, be);
    expect(await eve.ok('unblockUser', { userId: bob.userId })).toEqual({
      type: 'ack',
      action: 'unblockUser',
      requestId: expect.any(String),
      userId: bob.userId,
    });
    const got = eve.event('message.created', forChat(be.chatId));
    await sendText(bob, be.chatId, 'back');
    await got;
    expect((await bob.ok('createChat', { kind: 'direct', userId: eve.userId })).chat).toMatchObject({
      chatId: be.chatId,
    });
    await bob.ok('invite', { chatId: bobs.chatId, userIds: [eve.userId] });
    await bob.ok('createChat', { kind: 'group', name: 'With eve', memberIds: [eve.userId] });
    expect((await eve.ok('listBlocked')).userIds).toEqual([]);
  });

  it('lets a user pulled into a direct chat by a stranger block them', async () => {
    const stranger = await connectUser(stack, uniqueId('stranger'));
    const victim = await connectUser(stack, uniqueId('victim'));
    const chat = await makeDirect(stranger, victim.userId);
    const first = victim.event('message.created', forChat(chat.chatId));
    await sendText(stranger, chat.chatId, 'buy my stuff');
    await first;
    await victim.ok('blockUser', { userId: stranger.userId });
    const mark = victim.frames.length;
    await expectRefused(
      stack,
      stranger,
      'sendMessage',
      { chatId: chat.chatId, text: 'hello??' },
      'FORBIDDEN',
    );
    await expectRefused(
      stack,
      stranger,
      'createChat',
      { kind: 'direct', userId: victim.userId },
      'FORBIDDEN',
    );
    await settle(stack, victim);
    expect(eventsSince(victim, mark)).toEqual([]);
  });

  it('blocks idempotently, unblocks harmlessly and refuses blocking oneself', async () => {
    const frank = await connectUser(stack, uniqueId('frank'));
    const target = uniqueId('nobody');
    await frank.ok('blockUser', { userId: target });
    const [stored] = await stack
      .items(`USER#${frank.userId}`)
      .then((items) => items.filter((i) => String(i.sk).startsWith('BLOCK#')));
    await frank.ok('blockUser', { userId: target });
    const after = (await stack.items(`USER#${frank.userId}`)).filter((i) =>
      String(i.sk).startsWith('BLOCK#'),
    );
    expect(after).toEqual([stored]);
    await frank.ok('unblockUser', { userId: target });
    await frank.ok('unblockUser', { userId: target });
    await frank.ok('unblockUser', { userId: uniqueId('never-blocked') });
    expect((await frank.ok('listBlocked')).userIds).toEqual([]);
    const before = await stack.items(`USER#${frank.userId}`);
    await expectRefused(stack, frank, 'blockUser', { userId: frank.userId }, 'BAD_REQUEST', {
      message: /"userId"/,
    });
    expect(await stack.items(`USER#${frank.userId}`)).toEqual(before);
  });
});

describe('listBlocked', () => {
  it('pages through every blocked user in user id order', async () => {
    const gina = await connectUser(stack, uniqueId('gina'));
    const plain = Array.from({ length: 6 }, () => uniqueId('b')).sort();
    // The first page ends at an id of 30 emoji after a plain one: at most 64 characters as the
    // contract counts them (code points), more than 64 UTF-16 units; its cursor must still work.
    const blocked = [...plain, `${plain[1]}${'😀'.repeat(30)}`];
    for (const userId of blocked) await gina.ok('blockUser', { userId });
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const ack = await gina.ok('listBlocked', { limit: 3, ...(cursor ? { cursor } : {}) });
      pages.push(ack.userIds as string[]);
      cursor = (ack.nextCursor as string | null) ?? undefined;
    } while (cursor && pages.length < 10);
    expect(pages.flat()).toEqual([...blocked].sort());
    expect(pages.map((p) => p.length).slice(0, 2)).toEqual([3, 3]);
    expect(pages.flat()).toHaveLength(7);

    const all = await gina.ok('listBlocked');
    expect(all).toEqual({
      type: 'ack',
      action: 'listBlocked',
      requestId: expect.any(String),
      userIds: [...blocked].sort(),
      nextCursor: null,
    });
    // A page that ends exactly at the last one says so, or the next page is empty and final.
    const exact = await gina.ok('listBlocked', { limit: 7 });
    expect(exact.userIds).toEqual([...blocked].sort());
    if (exact.nextCursor !== null) {
      expect(await gina.ok('listBlocked', { cursor: exact.nextCursor })).toMatchObject({
        userIds: [],
        nextCursor: null,
      });
    }
  });
});
