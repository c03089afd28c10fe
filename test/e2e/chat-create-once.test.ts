/**
 * createChat of a group with a clientChatId happens once per creator and key: a repeat (the ack was
 * lost, or INTERNAL came after the group was stored) answers the first group with `created: false`
 * and tells its members again (`chat.created` at least once: test/fault/create-chat-retry.test.ts);
 * concurrent repeats create one group; a big group whose creator died midway is completed by the
 * repeat, never created again.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { GROUP_KEY, MEMBER } from '../../lambdas/data/items.ts';
import { groupMembers } from '../../lambdas/domain/group-keys.ts';
import { newChat } from '../../lambdas/domain/new-chat.ts';
import {
  anotherSocket,
  type Chat,
  connectUser,
  connectUsers,
  eventsOf,
  forChat,
  getChat,
  listChats,
  settle,
  sorted,
  type UserSocket,
} from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();
const doc = () => DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));

const group = (name: string, memberIds: string[], clientChatId: string) => ({
  kind: 'group',
  name,
  memberIds,
  clientChatId,
});

const groupsNamed = async (socket: UserSocket, name: string) =>
  (await listChats(socket)).filter((c) => c.kind === 'group' && c.name === name);

describe('createChat of a group with a clientChatId', () => {
  it('answers a repeat with the first group, created: false, telling its members again', async () => {
    const [owner, peer] = (await connectUsers(stack, 2, 'once')) as [UserSocket, UserSocket];
    const key = uniqueId('k');
    const first = await owner.ok('createChat', group('Trip', [peer.userId], key));
    expect(first.created).toBe(true);
    const chat = first.chat as Chat;
    await peer.event('chat.created', forChat(chat.chatId));

    const again = await owner.ok('createChat', group('Trip', [peer.userId], key));
    expect(again).toMatchObject({ created: false, chat: { chatId: chat.chatId } });
    // A changed repeat is the same repeat: the first name and members win.
    const changed = await owner.ok('createChat', group('Other', [], key));
    expect(changed).toMatchObject({ created: false, chat: { chatId: chat.chatId, name: 'Trip' } });
    expect(sorted((changed.chat as Chat).members.map((m) => m.userId))).toEqual(
      sorted([owner.userId, peer.userId]),
    );

    await settle(stack, owner, peer);
    // Once for the creation, once for each repeat (at least once), always the first group.
    for (const socket of [owner, peer]) {
      const told = eventsOf(socket, 'chat.created', forChat(chat.chatId));
      expect(told).toHaveLength(3);
      for (const e of told) expect(e).toMatchObject({ chat: { chatId: chat.chatId, name: 'Trip' } });
    }
    expect(await groupsNamed(peer, 'Trip')).toHaveLength(1);
    expect(await groupsNamed(peer, 'Other')).toHaveLength(0);
  });

  it('creates one group for concurrent repeats from several sockets', async () => {
    const owner = await connectUser(stack, uniqueId('race'));
    const owner2 = await anotherSocket(stack, owner);
    const peer = await connectUser(stack, uniqueId('racepeer'));
    const key = uniqueId('k');
    const acks = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? owner2 : owner).ok('createChat', group('Race', [peer.userId], key)),
      ),
    );
    const ids = new Set(acks.map((a) => (a.chat as Chat).chatId));
    expect(ids.size).toBe(1);
    expect(acks.filter((a) => a.created === true)).toHaveLength(1);
    const [chatId] = [...ids] as [string];
    for (const socket of [owner, owner2, peer]) await socket.event('chat.created', forChat(chatId));
    await settle(stack, owner, owner2, peer);
    // Told at least once (a repeat tells again: the module comment), never about a second group.
    for (const socket of [owner, owner2, peer]) {
      expect(eventsOf(socket, 'chat.created', forChat(chatId)).length).toBeGreaterThanOrEqual(1);
      expect(eventsOf(socket, 'chat.created')).toEqual(eventsOf(socket, 'chat.created', forChat(chatId)));
    }
    expect(await groupsNamed(peer, 'Race')).toHaveLength(1);
  });

  it('gives different callers with the same clientChatId different groups', async () => {
    const [a, b] = (await connectUsers(stack, 2, 'same')) as [UserSocket, UserSocket];
    const key = uniqueId('k');
    const fromA = await a.ok('createChat', group('Same key', [b.userId], key));
    const fromB = await b.ok('createChat', group('Same key', [a.userId], key));
    expect(fromA.created).toBe(true);
    expect(fromB.created).toBe(true);
    expect((fromB.chat as Chat).chatId).not.toBe((fromA.chat as Chat).chatId);
    expect((fromB.chat as Chat).ownerId).toBe(b.userId);
  });

  it('creates a group too big for one transaction once under concurrent repeats', async () => {
    const owner = await connectUser(stack, uniqueId('big'));
    const others = Array.from({ length: 149 }, (_, i) => uniqueId(`bm${i}`));
    const key = uniqueId('k');
    const acks = await Promise.all(
      Array.from({ length: 4 }, () => owner.ok('createChat', group('Big', others, key))),
    );
    expect(new Set(acks.map((a) => (a.chat as Chat).chatId)).size).toBe(1);
    expect(acks.filter((a) => a.created === true)).toHaveLength(1);
    const chat = acks[0]?.chat as Chat;
    expect((await getChat(owner, chat.chatId)).memberCount).toBe(150);
    await owner.event('chat.created', forChat(chat.chatId));
    await settle(stack, owner);
    expect(eventsOf(owner, 'chat.created', forChat(chat.chatId)).length).toBeGreaterThanOrEqual(1);
    expect(eventsOf(owner, 'chat.created')).toEqual(eventsOf(owner, 'chat.created', forChat(chat.chatId)));
  });

  it('completes a big group whose creator died midway, with the first request’s members', async () => {
    const owner = await connectUser(stack, uniqueId('dead'));
    const others = Array.from({ length: 120 }, (_, i) => uniqueId(`dm${i}`));
    const clientChatId = uniqueId('k');
    // The creator claimed the key and wrote a third of the members a minute ago, then died.
    const chat = newChat(new Date(Date.now() - 60_000), 'group', 'Half', owner.userId, 121);
    const members = groupMembers(chat, others);
    const client = doc();
    await client.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: GROUP_KEY.toItem({
          userId: owner.userId,
          clientChatId,
          chatId: chat.chatId,
          claimedAt: Date.now() - 60_000,
          pending: true,
          createdAt: chat.createdAt,
          name: 'Half',
          memberIds: new Set(others),
        }),
      }),
    );
    for (const part of [members.slice(0, 20), members.slice(20, 40)]) {
      const requests = part.map((m) => ({ PutRequest: { Item: MEMBER.toItem(m) } }));
      await client.send(new BatchWriteCommand({ RequestItems: { [stack.tableName]: requests } }));
    }
    client.destroy();

    const acks = await Promise.all(
      [0, 1].map(() => owner.ok('createChat', group('Retry', others.slice(0, 3), clientChatId))),
    );
    for (const ack of acks) expect((ack.chat as Chat).chatId).toBe(chat.chatId);
    expect(acks.filter((a) => a.created === true)).toHaveLength(1);
    const stored = await getChat(owner, chat.chatId);
    expect(stored).toMatchObject({ name: 'Half', memberCount: 121, createdAt: chat.createdAt });
    await owner.event('chat.created', forChat(chat.chatId));
    await settle(stack, owner);
    // The completion's and the other repeat's (at least once).
    expect(eventsOf(owner, 'chat.created', forChat(chat.chatId)).length).toBeGreaterThanOrEqual(1);
    const again = await owner.ok('createChat', group('Half', others, clientChatId));
    expect(again).toMatchObject({ created: false, chat: { chatId: chat.chatId } });
  });

  it('completes a cut-off big group without those who blocked the creator since', async () => {
    const [owner, blocker] = (await connectUsers(stack, 2, 'cutblk')) as [UserSocket, UserSocket];
    const others = [blocker.userId, ...Array.from({ length: 100 }, (_, i) => uniqueId(`cb${i}`))];
    const clientChatId = uniqueId('k');
    const chat = newChat(new Date(Date.now() - 60_000), 'group', 'Blocked', owner.userId, 102);
    const client = doc();
    await client.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: GROUP_KEY.toItem({
          userId: owner.userId,
          clientChatId,
          chatId: chat.chatId,
          claimedAt: Date.now() - 60_000,
          pending: true,
          createdAt: chat.createdAt,
          name: 'Blocked',
          memberIds: new Set(others),
        }),
      }),
    );
    // The creator wrote the first members (the blocker among them), then died.
    const requests = groupMembers(chat, others)
      .slice(0, 20)
      .map((m) => ({ PutRequest: { Item: MEMBER.toItem(m) } }));
    await client.send(new BatchWriteCommand({ RequestItems: { [stack.tableName]: requests } }));
    client.destroy();
    await blocker.ok('blockUser', { userId: owner.userId });

    const ack = await owner.ok('createChat', group('Blocked', others, clientChatId));
    expect(ack).toMatchObject({ created: true, chat: { chatId: chat.chatId } });
    const stored = await getChat(owner, chat.chatId);
    expect(stored.memberCount).toBe(101);
    expect(stored.members.map((m) => m.userId)).not.toContain(blocker.userId);
    const sks = (await stack.items(`CHAT#${chat.chatId}`)).map((i) => String(i.sk));
    expect(sks).not.toContain(`MEMBER#${blocker.userId}`);
    await settle(stack, owner, blocker);
    expect(eventsOf(blocker, 'chat.created', forChat(chat.chatId))).toHaveLength(0);
    expect(await groupsNamed(blocker, 'Blocked')).toHaveLength(0);
  });

  it('answers CONFLICT to a repeat while a big group is still being created, writing nothing', async () => {
    const owner = await connectUser(stack, uniqueId('busy'));
    const others = Array.from({ length: 100 }, (_, i) => uniqueId(`bb${i}`));
    const clientChatId = uniqueId('k');
    const chat = newChat(new Date(), 'group', 'Busy', owner.userId, 101);
    const key = GROUP_KEY.toItem({
      userId: owner.userId,
      clientChatId,
      chatId: chat.chatId,
      claimedAt: Date.now(),
      pending: true,
      createdAt: chat.createdAt,
      name: 'Busy',
      memberIds: new Set(others),
    });
    const client = doc();
    await client.send(new PutCommand({ TableName: stack.tableName, Item: key }));
    client.destroy();
    const refused = await owner.request('createChat', group('Busy', others, clientChatId));
    expect(refused).toMatchObject({ type: 'error', code: 'CONFLICT' });
    expect(String(refused.message)).toContain('"clientChatId"');
    expect(await stack.items(`CHAT#${chat.chatId}`)).toEqual([]);
    expect(await groupsNamed(owner, 'Busy')).toHaveLength(0);
  });

  it('refuses a key whose group the creator left, naming the field, and creates nothing', async () => {
    const [owner, peer] = (await connectUsers(stack, 2, 'left')) as [UserSocket, UserSocket];
    const key = uniqueId('k');
    const chat = (await owner.ok('createChat', group('Left', [peer.userId], key))).chat as Chat;
    await owner.ok('removeMember', { chatId: chat.chatId, userId: owner.userId });
    const refused = await owner.request('createChat', group('Left', [peer.userId], key));
    expect(refused).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
    expect(String(refused.message)).toContain('"clientChatId"');
    expect(await groupsNamed(owner, 'Left')).toHaveLength(0);
    expect(await groupsNamed(peer, 'Left')).toHaveLength(1);
  });
});
