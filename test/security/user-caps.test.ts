/**
 * Issue 17, item 1 (caps): a user holds at most MAX_SOCKETS_PER_USER open sockets (the next handshake
 * is refused with 429 and stores nothing) and is in at most MAX_CHATS_PER_USER chats (createChat and
 * invite beyond it are refused FORBIDDEN, writing nothing). Both are held across sockets and function
 * instances: the counts live in the table. Small caps here (3 sockets, 4 chats). Others can fill only
 * part of a user's cap (3 of 4 here): a user pulled into groups by others can still start chats, and
 * the refusal the others get says nothing of that user's count.
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
/** Others may add a user only while they are in fewer chats than this (lambdas/domain/membership-cap.ts). */
const BY_OTHERS = 3;
/** The refusal about someone else: the field and the id, no count, no cap. */
const cannotAdd = (field: string, userId: string) =>
  new RegExp(`^"${field}" entry "${userId}" cannot be added to more chats\\.$`);
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
      { message: cannotAdd('memberIds', busy.userId) },
    );
    const group = await makeGroup(owner, [friend.userId]);
    await expectRefused(
      stack,
      owner,
      'invite',
      { chatId: group.chatId, userIds: [busy.userId] },
      'FORBIDDEN',
      { message: cannotAdd('userIds', busy.userId) },
    );
    expect(await listChats(busy)).toHaveLength(CHATS);
    expect(await listChats(friend)).toHaveLength(1);
    await closeAll(stack, owner, friend, busy);
  });

  it(`lets others fill only ${BY_OTHERS} of a user's ${CHATS} chats, and tells them no count`, async () => {
    const pusher = await connectUser(stack, uniqueId('pusher'));
    const victim = await connectUser(stack, uniqueId('victim'));
    const friend = await connectUser(stack, uniqueId('friend'));
    for (let i = 0; i < BY_OTHERS - 1; i++) await makeGroup(pusher, [victim.userId], `Spam ${i}`);
    const open = await makeGroup(pusher, [friend.userId], 'Open');
    await pusher.ok('invite', { chatId: open.chatId, userIds: [victim.userId] });
    expect(await listChats(victim)).toHaveLength(BY_OTHERS);
    // Nobody else can add them now, by any path; the refusal names the field and the user only.
    const refusals = [
      await expectRefused(
        stack,
        pusher,
        'createChat',
        { kind: 'group', name: 'More spam', memberIds: [victim.userId] },
        'FORBIDDEN',
        { message: cannotAdd('memberIds', victim.userId) },
      ),
      await expectRefused(
        stack,
        friend,
        'createChat',
        { kind: 'direct', userId: victim.userId },
        'FORBIDDEN',
        {
          message: cannotAdd('userId', victim.userId),
        },
      ),
    ];
    const other = await makeGroup(friend, [], 'Friends');
    refusals.push(
      await expectRefused(
        stack,
        friend,
        'invite',
        { chatId: other.chatId, userIds: [victim.userId] },
        'FORBIDDEN',
        { message: cannotAdd('userIds', victim.userId) },
      ),
    );
    for (const refusal of refusals) expect(String(refusal.message)).not.toMatch(/\d+ chats|limit/);
    // The victim still starts a chat of their own, up to the cap; then their own refusal names it.
    const direct = await victim.ok('createChat', { kind: 'direct', userId: friend.userId });
    expect(await listChats(victim)).toHaveLength(CHATS);
    // Nor can they be taken along into a group made of a direct chat: the refusal says who they are,
    // not a field they are in no entry of.
    const newcomer = await connectUser(stack, uniqueId('newcomer'));
    await expectRefused(
      stack,
      friend,
      'invite',
      { chatId: (direct.chat as { chatId: string }).chatId, userIds: [newcomer.userId] },
      'FORBIDDEN',
      {
        message: new RegExp(
          `^The other member of this direct chat, "${victim.userId}", cannot be added to more chats\\.$`,
        ),
      },
    );
    await expectRefused(
      stack,
      victim,
      'createChat',
      { kind: 'group', name: 'Mine', memberIds: [] },
      'FORBIDDEN',
      {
        message: new RegExp(`^You are already in ${CHATS} chats`),
      },
    );
    // Leaving one of the groups others made makes room.
    const spam = (await listChats(victim)).find((c) => c.name === 'Spam 0');
    await victim.ok('removeMember', { chatId: spam?.chatId, userId: victim.userId });
    await victim.ok('createChat', { kind: 'group', name: 'Mine', memberIds: [] });
    await closeAll(stack, pusher, victim, friend, newcomer);
  });
});
