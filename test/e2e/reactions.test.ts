/**
 * Reactions end to end (issue 14): `react` adds or removes one emoji of the caller's; twice is
 * harmless; counts stay exact under a parallel burst of 20 users (retrying CONFLICT); at most 20 distinct emoji; a
 * deleted message and a non-member are refused with nothing written. Reactions show in the ack,
 * `message.reacted` (to every member socket, with the change's `ver`), `history`, `sync`,
 * `listChats.lastMessage` and edits' `message.updated`.
 */
import { describe, expect, it } from 'vitest';
import { EVENTS, Message as MessageSchema, type Reaction } from '../../lambdas/contract/index.ts';
import { deps } from '../../lambdas/domain/deps.ts';
import { react as reactDirectly } from '../../lambdas/domain/reactions.ts';
import {
  aboutMessage,
  anotherSocket,
  connectUser,
  connectUsers,
  eventsOf,
  expectContractShape,
  expectRefused,
  history,
  type Message,
  makeGroup,
  sendText,
  settle,
  summaryOf,
  type UserSocket,
} from '../support/chat.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack();

const reactionsOf = (ack: Record<string, unknown>): Reaction[] => (ack.message as Message).reactions;

describe('react', () => {
  it('adds and removes one emoji, idempotently, and tells every member socket', async () => {
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const bob2 = await anotherSocket(stack, bob);
    const chat = await makeGroup(ann, [bob.userId], 'Reactions');
    const message = await sendText(ann, chat.chatId, 'react to me');
    const ref = { chatId: chat.chatId, messageId: message.messageId };

    const added = await bob.ok('react', { ...ref, emoji: '👍' });
    expectContractShape(MessageSchema, added.message);
    expect(reactionsOf(added)).toEqual([{ emoji: '👍', count: 1, userIds: [bob.userId] }]);
    const ver = (added.message as Message).ver;
    expect(ver).toBeGreaterThan(message.ver);

    const expected = {
      type: 'message.reacted',
      chatId: chat.chatId,
      messageId: message.messageId,
      seq: message.seq,
      ver,
      userId: bob.userId,
      emoji: '👍',
      removed: false,
      reactions: [{ emoji: '👍', count: 1, userIds: [bob.userId] }],
    };
    for (const socket of [ann, bob, bob2]) {
      const reacted = await socket.event('message.reacted', aboutMessage(message.messageId));
      expect(reacted).toEqual(expected);
      expectContractShape(EVENTS['message.reacted'], reacted);
    }

    // Adding it again changes nothing: same version, no event.
    const again = await bob2.ok('react', { ...ref, emoji: '👍' });
    expect(again.message).toEqual(added.message);
    await ann.ok('react', { ...ref, emoji: '👍' });
    const both = await ann.ok('react', { ...ref, emoji: '❤️' });
    expect(reactionsOf(both)).toEqual([
      { emoji: '👍', count: 2, userIds: [ann.userId, bob.userId] },
      { emoji: '❤️', count: 1, userIds: [ann.userId] },
    ]);

    // Removing: once takes it away, twice is harmless.
    const removed = await bob.ok('react', { ...ref, emoji: '👍', remove: true });
    expect(reactionsOf(removed)).toEqual([
      { emoji: '👍', count: 1, userIds: [ann.userId] },
      { emoji: '❤️', count: 1, userIds: [ann.userId] },
    ]);
    const noop = await bob.ok('react', { ...ref, emoji: '👍', remove: true });
    expect(noop.message).toEqual(removed.message);
    const last = await ann.ok('react', { ...ref, emoji: '❤️', remove: true });
    expect(reactionsOf(last)).toEqual([{ emoji: '👍', count: 1, userIds: [ann.userId] }]);

    await settle(stack, ann, bob, bob2);
    const seen = eventsOf(bob2, 'message.reacted', aboutMessage(message.messageId));
    expect(seen.map((e) => [e.userId, e.emoji, e.removed])).toEqual([
      [bob.userId, '👍', false],
      [ann.userId, '👍', false],
      [ann.userId, '❤️', false],
      [bob.userId, '👍', true],
      [ann.userId, '❤️', true],
    ]);
    const vers = seen.map((e) => e.ver as number);
    expect(vers).toEqual([...vers].sort((a, b) => a - b));
    expect(new Set(vers).size).toBe(vers.length);
  });

  it('shows reactions in history, sync, listChats and message.updated', async () => {
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const chat = await makeGroup(ann, [bob.userId], 'Shown');
    const message = await sendText(ann, chat.chatId, 'look');
    const ref = { chatId: chat.chatId, messageId: message.messageId };
    const reacted = await bob.ok('react', { ...ref, emoji: '🎉' });
    const want = [{ emoji: '🎉', count: 1, userIds: [bob.userId] }];

    expect((await history(ann, chat.chatId)).messages.find((m) => m.seq === message.seq)?.reactions).toEqual(
      want,
    );
    expect((await summaryOf(ann, chat.chatId))?.lastMessage?.reactions).toEqual(want);
    const sync = await ann.ok('sync', { chatId: chat.chatId, sinceVer: message.ver });
    expect((sync.messages as Message[]).map((m) => [m.messageId, m.ver, m.reactions])).toEqual([
      [message.messageId, (reacted.message as Message).ver, want],
    ]);
    const edited = await ann.ok('editMessage', { ...ref, text: 'look again' });
    expect(reactionsOf(edited)).toEqual(want);
    const updated = await bob.event('message.updated', aboutMessage(message.messageId));
    expect((updated.message as Message).reactions).toEqual(want);
  });

  it('keeps counts exact under a parallel burst of 20 users, listing the newest 20', async () => {
    const owner = await connectUser(stack);
    const users = await connectUsers(stack, 21, 'fan');
    const chat = await makeGroup(
      owner,
      users.map((u) => u.userId),
      'Burst',
    );
    const message = await sendText(owner, chat.chatId, 'popular');
    const ref = { chatId: chat.chatId, messageId: message.messageId };
    const burst = users.slice(0, 20);
    // Generous reply timeouts: the burst is a race that each lost round retries (on a loaded machine).
    // A request that ran out of time answers CONFLICT, having written nothing: sent again, as a
    // client does (test/e2e/reactions-burst.test.ts pins that answer).
    const react = async (u: UserSocket, fields: Record<string, unknown>) => {
      for (;;) {
        const reply = await u.request('react', { ...ref, ...fields }, 60_000);
        if (reply.type !== 'error' || reply.code !== 'CONFLICT') return reply;
      }
    };
    const acks = await Promise.all(burst.map((u) => react(u, { emoji: '🔥' })));
    expect(acks.map((a) => a.type)).toEqual(burst.map(() => 'ack'));
    const [fire] = (await history(owner, chat.chatId)).messages.find((m) => m.seq === message.seq)
      ?.reactions ?? [undefined];
    expect(fire?.count).toBe(20);
    expect([...(fire?.userIds ?? [])].sort()).toEqual(burst.map((u) => u.userId).sort());

    // The 21st is listed first, the count goes past the listed ids, and stays exact on removal.
    const late = users[20] ?? users[0];
    if (!late) throw new Error('no users');
    const more = await late.ok('react', { ...ref, emoji: '🔥' });
    expect(reactionsOf(more)[0]?.count).toBe(21);
    expect(reactionsOf(more)[0]?.userIds).toHaveLength(20);
    expect(reactionsOf(more)[0]?.userIds[0]).toBe(late.userId);
    // Two sockets of one user racing the same emoji count once.
    const late2 = await anotherSocket(stack, late);
    await Promise.all([
      late.ok('react', { ...ref, emoji: '🌊' }),
      late2.ok('react', { ...ref, emoji: '🌊' }),
    ]);
    const removals = await Promise.all(
      burst.slice(0, 10).map((u) => react(u, { emoji: '🔥', remove: true })),
    );
    expect(removals.map((a) => a.type)).toEqual(burst.slice(0, 10).map(() => 'ack'));
    const after = (await history(owner, chat.chatId)).messages.find((m) => m.seq === message.seq);
    expect(after?.reactions[0]?.count).toBe(11);
    expect(after?.reactions[1]).toEqual({ emoji: '🌊', count: 1, userIds: [late.userId] });
    for (const u of burst.slice(0, 10)) expect(after?.reactions[0]?.userIds).not.toContain(u.userId);
  }, 180_000);

  it('allows at most 20 distinct emoji on a message', async () => {
    const ann = await connectUser(stack);
    const chat = await makeGroup(ann, [], 'Cap');
    const message = await sendText(ann, chat.chatId, 'so many');
    const ref = { chatId: chat.chatId, messageId: message.messageId };
    const emoji = Array.from({ length: 20 }, (_, i) => String.fromCodePoint(0x1f600 + i));
    for (const e of emoji) await ann.ok('react', { ...ref, emoji: e });
    const reply = await expectRefused(stack, ann, 'react', { ...ref, emoji: '🦄' }, 'BAD_REQUEST', {
      message: /20 different emoji/,
    });
    expect(reply.message).toMatch(/"emoji"/);
    // One already there may still be added by someone else, and removing frees a place.
    await ann.ok('react', { ...ref, emoji: emoji[0], remove: true });
    const ack = await ann.ok('react', { ...ref, emoji: '🦄' });
    expect(reactionsOf(ack)).toHaveLength(20);
    expect(reactionsOf(ack).at(-1)?.emoji).toBe('🦄');
  });

  it('takes emoji made of several characters: ZWJ sequences, VS16, keycaps and tag flags', async () => {
    const ann = await connectUser(stack);
    const chat = await makeGroup(ann, [], 'Sequences');
    const message = await sendText(ann, chat.chatId, 'families and flags');
    const ref = { chatId: chat.chatId, messageId: message.messageId };
    const england = '\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}';
    const emoji = ['👨\u200D👩\u200D👧', '❤\uFE0F', '1\uFE0F\u20E3', england, '👍🏽'];
    for (const e of emoji) await ann.ok('react', { ...ref, emoji: e });
    const [shown] = (await history(ann, chat.chatId)).messages.filter((m) => m.seq === message.seq);
    expect(shown?.reactions.map((r) => r.emoji)).toEqual(emoji);
  });

  it('refuses deleted messages, non-members and unknown messages, writing nothing', async () => {
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const eve = await connectUser(stack);
    const chat = await makeGroup(ann, [bob.userId], 'Refusals');
    const message = await sendText(ann, chat.chatId, 'to be deleted');
    const ref = { chatId: chat.chatId, messageId: message.messageId };
    await bob.ok('react', { ...ref, emoji: '👀' });
    await ann.ok('deleteMessage', ref);
    await expectRefused(stack, bob, 'react', { ...ref, emoji: '👀' }, 'NOT_FOUND');
    await expectRefused(stack, bob, 'react', { ...ref, emoji: '👀', remove: true }, 'NOT_FOUND');
    const deleted = (await history(ann, chat.chatId)).messages.find((m) => m.seq === message.seq);
    expect(deleted?.reactions).toEqual([]);

    const other = await sendText(ann, chat.chatId, 'members only');
    const otherRef = { chatId: chat.chatId, messageId: other.messageId };
    await expectRefused(stack, eve, 'react', { ...otherRef, emoji: '👀' }, 'NOT_FOUND', { message: /Chat/ });
    await expectRefused(
      stack,
      bob,
      'react',
      { ...otherRef, messageId: 'm999_nope', emoji: '👀' },
      'NOT_FOUND',
    );
    await expectRefused(stack, bob, 'react', { ...otherRef, emoji: '' }, 'BAD_REQUEST');
    await expectRefused(stack, bob, 'react', { ...otherRef, emoji: 'x'.repeat(33) }, 'BAD_REQUEST');
    await settle(stack, ann, eve);
    expect(eventsOf(eve, 'message.reacted')).toEqual([]);
  });

  it('shows a reaction stored before the one-emoji rule, lets its author take it back, refuses adding it', async () => {
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const chat = await makeGroup(ann, [bob.userId], 'Legacy');
    const message = await sendText(ann, chat.chatId, 'reacted to before the rule');
    const ref = { chatId: chat.chatId, messageId: message.messageId };
    // Stored as `react` stored any clean text before (the domain, past the contract's rule).
    await reactDirectly(deps(), bob, { ...ref, emoji: 'idiot', remove: false });
    const [shown] = (await history(ann, chat.chatId)).messages.filter((m) => m.seq === message.seq);
    expect(shown?.reactions).toEqual([{ emoji: 'idiot', count: 1, userIds: [bob.userId] }]);

    const again = await expectRefused(stack, ann, 'react', { ...ref, emoji: 'idiot' }, 'BAD_REQUEST');
    expect(again.message).toBe('"emoji" must be exactly one emoji, such as "👍".');
    expect(reactionsOf(await bob.ok('react', { ...ref, emoji: 'idiot', remove: true }))).toEqual([]);
  });
});
