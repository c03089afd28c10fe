/**
 * An invite that stored the memberships and then failed (the caller got INTERNAL) is retried: the
 * retry finds everyone a member already, and must still list the new member's open sockets in the
 * roster and tell them (else they hear nothing of the group until they reconnect). The failure is
 * injected into the handlers' DynamoDB client (they run in this process): the join markers' batch
 * write, the first step after the memberships.
 */
import { describe, expect, it } from 'vitest';
import {
  aboutMessage,
  type Chat,
  connectUser,
  eventsOf,
  forChat,
  makeGroup,
  sendText,
  settle,
  sorted,
} from '../support/chat.ts';
import { useInterceptedStack } from '../support/handler-client.ts';

/** Batch writes that match this (the group's join markers) fail (every attempt) while it is set. */
let failing: RegExp | undefined;

const stack = useInterceptedStack((command, input) => {
  if (failing && command === 'BatchWriteItemCommand' && failing.test(input)) {
    throw Object.assign(new Error('injected: service unavailable'), { name: 'InternalServerError' });
  }
});

describe('an invite retried after it failed past storing the memberships', () => {
  it('lists the new member’s open socket and tells them (and the members) on the retry', async () => {
    const owner = await connectUser(stack);
    const other = await connectUser(stack);
    const x = await connectUser(stack);
    const chat = await makeGroup(owner, [other.userId]);
    await settle(stack, owner, other, x);

    failing = new RegExp(`JOINED#\\d+#${chat.chatId}"`);
    const first = await owner.request('invite', { chatId: chat.chatId, userIds: [x.userId] }).finally(() => {
      failing = undefined;
    });
    expect(first).toMatchObject({ type: 'error', action: 'invite', code: 'INTERNAL' });
    await settle(stack, owner, other, x);
    expect(eventsOf(x, 'chat.joined', forChat(chat.chatId))).toHaveLength(0);

    // The retry: x is a member already; the ack is the chat as it is (as for any repeated invite).
    const retry = await owner.request('invite', { chatId: chat.chatId, userIds: [x.userId] });
    expect(retry.type).toBe('ack');
    const acked = retry.chat as Chat;
    expect(sorted(acked.members.map((m) => m.userId))).toEqual(
      sorted([owner.userId, other.userId, x.userId]),
    );
    await settle(stack, owner, other, x);

    expect(eventsOf(x, 'chat.joined', forChat(chat.chatId))).toEqual([{ type: 'chat.joined', chat: acked }]);
    for (const socket of [owner, other]) {
      const joined = eventsOf(socket, 'member.joined', forChat(chat.chatId));
      expect(joined).toHaveLength(1);
      expect(joined[0]).toMatchObject({ userIds: [x.userId], ver: expect.any(Number) });
    }
    const roster = (await stack.items(`ROSTER#${chat.chatId}`)).map((it) => String(it.sk));
    expect(roster).toContain(`ONLINE#${x.userId}#${x.connectionId}`);

    const m = await sendText(owner, chat.chatId, 'welcome');
    await settle(stack, owner, other, x);
    expect(eventsOf(x, 'message.created', aboutMessage(m.messageId))).toHaveLength(1);

    // Asked once more: the same again (at least once), and still one roster entry per socket.
    await owner.ok('invite', { chatId: chat.chatId, userIds: [x.userId] });
    await settle(stack, owner, other, x);
    expect(eventsOf(x, 'chat.joined', forChat(chat.chatId))).toHaveLength(2);
    const again = (await stack.items(`ROSTER#${chat.chatId}`)).map((it) => String(it.sk));
    expect(sorted(again)).toEqual(sorted(roster));
  });
});
