/**
 * createChat of a pair bringing back the one who left their direct chat, whose write landed but
 * whose request then failed before telling anyone: the write's answer came back past its deadline
 * (as an abort), and the consistent read that checks whether it landed failed too, so the caller got
 * INTERNAL. The client's retry finds both in the chat: it must tell them (`chat.joined` to every
 * socket of the one back, `member.joined` to the other), else the other never learns of the return
 * and the returner's other devices never get the chat back (client/src/gone.ts brings a chat back
 * only from a Chat). The faults are injected into the handlers' DynamoDB client (they run in this
 * process).
 */
import { describe, expect, it } from 'vitest';
import {
  anotherSocket,
  type Chat,
  closeAll,
  connectUser,
  eventsOf,
  forChat,
  makeDirect,
  settle,
  type UserSocket,
} from '../support/chat.ts';
import { useInterceptedStack } from '../support/handler-client.ts';
import { uniqueId } from '../support/stack.ts';

/** The return's write to stop after: the transaction that puts `joiner`'s membership of `chatId`. */
let armed: { chatId: string; joiner: string } | undefined;
/** Consistent reads of this chat fail while it is set (the check of a write past its deadline). */
let failingReads: string | undefined;

const failure = (name: string, message: string) => Object.assign(new Error(message), { name });

const stack = useInterceptedStack((command, input) => {
  if (failingReads && command === 'QueryCommand' && input.includes(`"CHAT#${failingReads}"`)) {
    if (input.includes('"ConsistentRead":true'))
      throw failure('InternalServerError', 'injected: unavailable');
  }
  const a = armed;
  if (!a || !command.startsWith('Transact') || !input.includes('"Put"')) return;
  if (!input.includes(`CHAT#${a.chatId}`) || !input.includes(`"MEMBER#${a.joiner}"`)) return;
  armed = undefined;
  return () => {
    // Applied; its answer comes too late, and the read of whether it landed fails.
    failingReads = a.chatId;
    throw failure('TimeoutError', 'injected: the write deadline passed');
  };
});

const leave = (s: UserSocket, chatId: string) => s.ok('removeMember', { chatId, userId: s.userId });

describe('a return into a direct chat that failed after its write, retried', () => {
  it('tells the one back (every socket) and the other on the retry', async () => {
    const ann = await connectUser(stack, uniqueId('ann'));
    const annPhone = await anotherSocket(stack, ann);
    const bob = await connectUser(stack, uniqueId('bob'));
    const chat = await makeDirect(ann, bob.userId);
    await leave(ann, chat.chatId);
    await settle(stack, ann, annPhone, bob);

    armed = { chatId: chat.chatId, joiner: ann.userId };
    const first = await ann.request('createChat', { kind: 'direct', userId: bob.userId }).finally(() => {
      failingReads = undefined;
    });
    expect(armed).toBeUndefined();
    expect(first).toMatchObject({ type: 'error', action: 'createChat', code: 'INTERNAL' });
    const members = (await stack.items(`CHAT#${chat.chatId}`)).filter((i) =>
      String(i.sk).startsWith('MEMBER#'),
    );
    expect(members.map((m) => m.userId).sort()).toEqual([ann.userId, bob.userId].sort()); // it landed
    await settle(stack, ann, annPhone, bob);
    for (const s of [ann, annPhone]) expect(eventsOf(s, 'chat.joined', forChat(chat.chatId))).toEqual([]);
    expect(eventsOf(bob, 'member.joined', forChat(chat.chatId))).toEqual([]);

    // The client asks again: both are in the chat, so it answers the chat, and tells.
    const retry = await ann.ok('createChat', { kind: 'direct', userId: bob.userId });
    expect(retry.created).toBe(false);
    const acked = retry.chat as Chat;
    expect(acked.chatId).toBe(chat.chatId);
    await settle(stack, ann, annPhone, bob);
    for (const s of [ann, annPhone]) {
      expect(eventsOf(s, 'chat.joined', forChat(chat.chatId))).toEqual([
        { type: 'chat.joined', chat: acked },
      ]);
    }
    // At the return's version: nothing changed the chat since.
    expect(eventsOf(bob, 'member.joined', forChat(chat.chatId))).toEqual([
      { type: 'member.joined', chatId: chat.chatId, userIds: [ann.userId], ver: acked.lastVer },
    ]);
    await closeAll(stack, ann, annPhone, bob);
  });
});
