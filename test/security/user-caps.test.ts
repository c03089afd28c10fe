/**
 * Issue 17, item 1 (caps): a user holds at most MAX_SOCKETS_PER_USER open sockets (the next handshake
 * is refused with 429 and stores nothing) and is in at most MAX_CHATS_PER_USER chats (createChat and
 * invite beyond it are refused FORBIDDEN naming the limit, writing nothing). Both are held across
 * sockets and function instances: the counts live in the table. Small caps here (3 sockets, 4 chats).
 */
import { describe, expect, it } from 'vitest';
import {
  anotherSocket,
  closeAll,
  connectUser,
  expectRefused,
  listChats,
  makeGroup,
  storedConnectionIds,
} from '../support/chat.ts';
import { HandshakeError, TestClient } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const SOCKETS = 3;
const CHATS = 4;
const stack = useTestStack({
  env: { MAX_SOCKETS_PER_USER: String(SOCKETS), MAX_CHATS_PER_USER: String(CHATS) },
});

describe('per-user caps', () => {
  it(`refuses the handshake of a ${SOCKETS + 1}th socket with 429, also when they race`, async () => {
    const url = await stack.urlFor(uniqueId('racing'), { name: 'Racing sockets' });
    const attempts = await Promise.allSettled(
      Array.from({ length: SOCKETS + 3 }, () => TestClient.connect(url)),
    );
    const open = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    const refused = attempts.flatMap((a) => (a.status === 'rejected' ? [a.reason] : []));
    expect(open).toHaveLength(SOCKETS);
    expect(refused).toEqual(Array.from({ length: 3 }, () => new HandshakeError(429)));
    await Promise.all(open.map((c) => c.close()));
    await stack.gateway.idle();
  });

  it('stores nothing for a refused socket, and lets one in again once one closes', async () => {
    const first = await connectUser(stack, uniqueId('sockets'), 'Many sockets');
    const sockets = [first];
    for (let i = 1; i < SOCKETS; i++) sockets.push(await anotherSocket(stack, first));
    const url = await stack.urlFor(first.userId, { name: first.name });
    await expect(TestClient.connect(url)).rejects.toEqual(new HandshakeError(429));
    await stack.gateway.idle();
    expect(await storedConnectionIds(stack, first.userId)).toHaveLength(SOCKETS);
    // Another user is not affected; once one socket has closed a new one is let in, and no more.
    const other = await connectUser(stack, uniqueId('other'));
    await closeAll(stack, sockets.shift() as (typeof sockets)[number]);
    const again = await anotherSocket(stack, first);
    expect((await again.request('ping')).type).toBe('pong');
    await expect(TestClient.connect(url)).rejects.toEqual(new HandshakeError(429));
    await closeAll(stack, ...sockets, again, other);
  });

  it(`refuses createChat and invite that would put someone in more than ${CHATS} chats`, async () => {
    const owner = await connectUser(stack, uniqueId('joiner'));
    const friend = await connectUser(stack, uniqueId('friend'));
    const busy = await connectUser(stack, uniqueId('busy'));
    for (let i = 0; i < CHATS; i++) await makeGroup(busy, [], `Busy ${i}`);
    // The caller at the cap cannot create another chat.
    await expectRefused(
      stack,
      busy,
      'createChat',
      { kind: 'group', name: 'One more', memberIds: [] },
      'FORBIDDEN',
      {
        message: new RegExp(`${CHATS} chats`),
      },
    );
    await expectRefused(stack, busy, 'createChat', { kind: 'direct', userId: friend.userId }, 'FORBIDDEN', {
      message: new RegExp(`${CHATS} chats`),
    });
    // Nobody can pull a user at the cap into another chat, by createChat or invite.
    await expectRefused(
      stack,
      owner,
      'createChat',
      { kind: 'group', name: 'With busy', memberIds: [friend.userId, busy.userId] },
      'FORBIDDEN',
      { message: new RegExp(`${busy.userId}.*${CHATS} chats`) },
    );
    const group = await makeGroup(owner, [friend.userId]);
    await expectRefused(
      stack,
      owner,
      'invite',
      { chatId: group.chatId, userIds: [busy.userId] },
      'FORBIDDEN',
      {
        message: new RegExp(`${busy.userId}.*${CHATS} chats`),
      },
    );
    expect(await listChats(busy)).toHaveLength(CHATS);
    expect(await listChats(friend)).toHaveLength(1);
    await closeAll(stack, owner, friend, busy);
  });
});
