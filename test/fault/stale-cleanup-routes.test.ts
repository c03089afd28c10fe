/**
 * Every route that fans out (or probes presence) removes the stale connection records it finds: a
 * member's socket vanished without `$disconnect`, the route posts to it (or probes it), gets 410, and
 * deletes exactly that record, counting it as `StaleConnectionsRemoved`.
 *
 * Besides the behaviour, this suite exercises each route's cleanup path, so that the IAM check
 * (scripts/check-iam.ts) sees each route's scoped `DeleteItem` in use rather than trusting it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeAll,
  connectUser,
  connectUsers,
  makeDirect,
  makeGroup,
  sendText,
  storedConnectionIds,
  type UserSocket,
} from '../support/chat.ts';
import { useTestStack } from '../support/stack.ts';
import { useStaleCleanup } from '../support/stale.ts';

const stack = useTestStack();
const { ghostOf, expectCleaned, removed } = useStaleCleanup(stack);

describe('stale connection cleanup, route by route', { timeout: 120_000 }, () => {
  let owner: UserSocket;
  let member: UserSocket;
  let third: UserSocket;

  beforeAll(async () => {
    [owner, member, third] = (await connectUsers(stack, 3, 'clean')) as [UserSocket, UserSocket, UserSocket];
  });
  afterAll(async () => {
    await closeAll(stack, owner, member, third);
  });

  it('createChat, sendMessage, editMessage, deleteMessage, readMessage, typing and markDelivered', async () => {
    let ghost = await ghostOf(member.userId);
    let chatId = '';
    await expectCleaned(member.userId, ghost, async () => {
      chatId = (await makeGroup(owner, [member.userId])).chatId;
    });
    ghost = await ghostOf(member.userId);
    let messageId = '';
    await expectCleaned(member.userId, ghost, async () => {
      messageId = (await sendText(owner, chatId, 'hello')).messageId;
    });
    ghost = await ghostOf(member.userId);
    await expectCleaned(member.userId, ghost, () =>
      owner.ok('editMessage', { chatId, messageId, text: 'hi' }),
    );
    const second = (await sendText(owner, chatId, 'to delete')).messageId;
    ghost = await ghostOf(member.userId);
    await expectCleaned(member.userId, ghost, () => owner.ok('deleteMessage', { chatId, messageId: second }));
    ghost = await ghostOf(member.userId);
    // The member reads (the owner's own cursor is already there): message.read goes to every member.
    await expectCleaned(member.userId, ghost, () => member.ok('readMessage', { chatId, messageId }));
    ghost = await ghostOf(member.userId);
    await expectCleaned(member.userId, ghost, () => owner.ok('typing', { chatId }));
    // Delivery receipts go to the other members: the owner's stale socket is found by the member's.
    ghost = await ghostOf(owner.userId);
    await expectCleaned(owner.userId, ghost, () => member.ok('markDelivered', { chatId, seq: 2 }));
  });

  it('invite, removeMember and deleteChat', async () => {
    const chatId = (await makeGroup(owner, [member.userId])).chatId;
    let ghost = await ghostOf(member.userId);
    await expectCleaned(member.userId, ghost, () => owner.ok('invite', { chatId, userIds: [third.userId] }));
    ghost = await ghostOf(third.userId);
    await expectCleaned(third.userId, ghost, () =>
      owner.ok('removeMember', { chatId, userId: third.userId }),
    );
    ghost = await ghostOf(member.userId);
    await expectCleaned(member.userId, ghost, () => owner.ok('deleteChat', { chatId }));
  });

  it('$connect and $disconnect probe the user’s stored sockets and remove the gone ones', async () => {
    // A direct chat makes the owner a presence peer, so connect and disconnect announce presence.
    const peer = await connectUser(stack, `clean-peer-${Date.now()}`);
    await makeDirect(owner, peer.userId);
    await closeAll(stack, peer);
    const ghost = await ghostOf(peer.userId);
    let again: UserSocket | undefined;
    await expectCleaned(peer.userId, ghost, async () => {
      again = await connectUser(stack, peer.userId);
    });
    const second = await ghostOf(peer.userId);
    const live = again as UserSocket;
    const counted = removed();
    await closeAll(stack, live);
    expect(await storedConnectionIds(stack, peer.userId)).not.toContain(second);
    expect(await storedConnectionIds(stack, peer.userId)).not.toContain(live.connectionId);
    expect(removed()).toBeGreaterThan(counted);
  });
});
