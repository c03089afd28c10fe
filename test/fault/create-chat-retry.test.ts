/**
 * createChat of a group with a clientChatId that stored the group and then failed (the caller got
 * INTERNAL) is retried with the same key: the retry answers the group (`created: false`), and must
 * still list the members' open sockets in the group's roster and tell them `chat.created` (else they
 * hear nothing of the group, its messages included, until they reconnect). The failure is injected
 * into the handlers' DynamoDB client (they run in this process): the join markers' batch write, the
 * first step after the group was stored.
 */
import { describe, expect, it } from 'vitest';
import {
  aboutMessage,
  type Chat,
  connectUser,
  eventsOf,
  forChat,
  sendText,
  settle,
  sorted,
} from '../support/chat.ts';
import { useInterceptedStack } from '../support/handler-client.ts';
import { uniqueId } from '../support/stack.ts';

/** Batch writes of join markers that mention this user fail (every attempt) while it is set. */
let failing: string | undefined;

const stack = useInterceptedStack((command, input) => {
  if (
    failing &&
    command === 'BatchWriteItemCommand' &&
    input.includes('JOINED#') &&
    input.includes(failing)
  ) {
    throw Object.assign(new Error('injected: service unavailable'), { name: 'InternalServerError' });
  }
});

describe('createChat of a group retried with its clientChatId after it failed past storing the group', () => {
  it('lists the members’ open sockets and tells them chat.created on the retry', async () => {
    const owner = await connectUser(stack);
    const peer = await connectUser(stack);
    await settle(stack, owner, peer);
    const fields = { kind: 'group', name: 'Cut off', memberIds: [peer.userId], clientChatId: uniqueId('k') };

    failing = peer.userId;
    const first = await owner.request('createChat', fields).finally(() => {
      failing = undefined;
    });
    expect(first).toMatchObject({ type: 'error', action: 'createChat', code: 'INTERNAL' });
    await settle(stack, owner, peer);
    expect(eventsOf(peer, 'chat.created')).toHaveLength(0);

    const retry = await owner.ok('createChat', fields);
    expect(retry.created).toBe(false);
    const chat = retry.chat as Chat;
    await settle(stack, owner, peer);
    for (const socket of [owner, peer]) {
      expect(eventsOf(socket, 'chat.created', forChat(chat.chatId))).toEqual([
        { type: 'chat.created', chat },
      ]);
    }
    const roster = (await stack.items(`ROSTER#${chat.chatId}`)).map((it) => String(it.sk));
    expect(roster).toContain(`ONLINE#${peer.userId}#${peer.connectionId}`);

    const m = await sendText(owner, chat.chatId, 'hello');
    await settle(stack, owner, peer);
    expect(eventsOf(peer, 'message.created', aboutMessage(m.messageId))).toHaveLength(1);

    // Repeated once more: told again (at least once), and still one roster entry per socket.
    await owner.ok('createChat', fields);
    await settle(stack, owner, peer);
    expect(eventsOf(peer, 'chat.created', forChat(chat.chatId))).toHaveLength(2);
    const again = (await stack.items(`ROSTER#${chat.chatId}`)).map((it) => String(it.sk));
    expect(sorted(again)).toEqual(sorted(roster));
  });
});
