/**
 * A deleted account (`deleteUser`, `deleteAccount`) is not put in a chat again: createChat (a direct
 * chat with them, a group naming them) and invite answer NOT_FOUND `User "<id>" does not exist.`,
 * writing nothing (docs/security.md, "Deleting an account"). A deactivated user (not deleted) stays
 * invitable, as before. The check is one consistent BatchGet of the named users' marks, beside the
 * blocks' BatchGet those routes make anyway.
 *
 * Real sockets through the local gateway, DynamoDB Local.
 */
import { describe, expect, it } from 'vitest';
import { closeAll, connectAdmin, connectUser, makeGroup } from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

const userItems = (userId: string) => stack.items(`USER#${userId}`);

describe('a deleted user is not put in a chat', { timeout: 60_000 }, () => {
  it('createChat (direct, group) and invite: NOT_FOUND naming them, nothing written', async () => {
    const admin = await connectAdmin(stack);
    const alice = await connectUser(stack, uniqueId('alice'));
    const bob = uniqueId('bob');
    const gone = uniqueId('gone');
    await admin.ok('deleteUser', { userId: gone });
    const group = await makeGroup(alice, [bob], 'Team');
    const before = {
      alice: await userItems(alice.userId),
      chat: await stack.items(`CHAT#${group.chatId}`),
    };
    const notFound = { type: 'error', code: 'NOT_FOUND', message: `User "${gone}" does not exist.` };

    expect(await alice.request('createChat', { kind: 'direct', userId: gone })).toMatchObject(notFound);
    expect(
      await alice.request('createChat', { kind: 'group', name: 'G', memberIds: [bob, gone] }),
    ).toMatchObject(notFound);
    expect(await alice.request('invite', { chatId: group.chatId, userIds: [gone] })).toMatchObject(notFound);
    expect(await alice.request('invite', { chatId: group.chatId, userIds: [bob, gone] })).toMatchObject(
      notFound,
    );

    expect(await userItems(alice.userId)).toEqual(before.alice);
    expect(await stack.items(`CHAT#${group.chatId}`)).toEqual(before.chat);
    expect((await userItems(gone)).map((i) => i.sk)).toEqual(['DEACTIVATED']);
    expect(await alice.request('ping')).toMatchObject({ type: 'pong' });
    await closeAll(stack, alice);
    await admin.close();
  });

  it('a deactivated (not deleted) user stays invitable', async () => {
    const admin = await connectAdmin(stack);
    const alice = await connectUser(stack, uniqueId('alice'));
    const paused = uniqueId('paused');
    await admin.ok('deactivateUser', { userId: paused });
    expect(await alice.ok('createChat', { kind: 'direct', userId: paused })).toMatchObject({ created: true });
    const group = await makeGroup(alice, [uniqueId('bob')], 'Team');
    const ack = await alice.ok('invite', { chatId: group.chatId, userIds: [paused] });
    expect((ack.chat as { members: { userId: string }[] }).members.map((m) => m.userId)).toContain(paused);
    await closeAll(stack, alice);
    await admin.close();
  });
});
