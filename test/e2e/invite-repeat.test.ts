/**
 * An invite of people who are all members already: the ack is the chat as it is, nothing of the
 * chat changes, and those asked for who joined within a socket's lifetime are told again (the
 * repeat may retry an invite that failed before its events went out; test/fault/invite-retry.test.ts).
 * Unless one of them has blocked the inviter: that repeat is refused as an invite of them would be.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  byUser,
  type Chat,
  connectUser,
  eventsOf,
  expectRefused,
  forChat,
  makeGroup,
  settle,
} from '../support/chat.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack();
let doc: DynamoDBDocumentClient;

beforeAll(() => {
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
});
afterAll(() => doc?.destroy());

describe('invite with nobody new', () => {
  it('ignores ids that are already members; with nobody new it acks the chat as it is and tells those who just joined again', async () => {
    const owner = await connectUser(stack);
    const member = await connectUser(stack);
    const chat = await makeGroup(owner, [member.userId], 'Stable');
    const before = await stack.items(`CHAT#${chat.chatId}`);

    const ack = await owner.ok('invite', { chatId: chat.chatId, userIds: [member.userId, owner.userId] });
    expect(byUser(ack.chat as Chat)).toEqual(byUser(chat));
    await settle(stack, owner, member);
    expect(await stack.items(`CHAT#${chat.chatId}`)).toEqual(before);
    // The member joined moments ago: the repeat may retry an invite whose events never went out,
    // so they are told again (at least once). The inviter is nobody's newcomer.
    expect(eventsOf(member, 'chat.joined', forChat(chat.chatId))).toEqual([
      { type: 'chat.joined', chat: ack.chat },
    ]);
    expect(eventsOf(owner, 'member.joined', forChat(chat.chatId))).toEqual([
      { type: 'member.joined', chatId: chat.chatId, userIds: [member.userId], ver: expect.any(Number) },
    ]);
    expect(eventsOf(owner, 'chat.joined', forChat(chat.chatId))).toHaveLength(0);
    expect(eventsOf(member, 'member.joined', forChat(chat.chatId))).toHaveLength(0);
  });

  it('with nobody new and everyone asked for a member for longer than a socket lives, sends no event', async () => {
    const owner = await connectUser(stack);
    const member = await connectUser(stack);
    const chat = await makeGroup(owner, [member.userId], 'Settled');
    // Joined 3 hours ago: every socket they have open was listed by its own $connect.
    await doc.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: { pk: `CHAT#${chat.chatId}`, sk: `MEMBER#${member.userId}` },
        UpdateExpression: 'SET joinedAt = :at',
        ExpressionAttributeValues: { ':at': new Date(Date.now() - 3 * 3600_000).toISOString() },
      }),
    );
    const before = await stack.items(`CHAT#${chat.chatId}`);
    const roster = await stack.items(`ROSTER#${chat.chatId}`);

    await owner.ok('invite', { chatId: chat.chatId, userIds: [member.userId] });
    await settle(stack, owner, member);
    expect(await stack.items(`CHAT#${chat.chatId}`)).toEqual(before);
    expect(await stack.items(`ROSTER#${chat.chatId}`)).toEqual(roster);
    for (const socket of [owner, member]) {
      expect(eventsOf(socket, 'member.joined', forChat(chat.chatId))).toHaveLength(0);
      expect(eventsOf(socket, 'chat.joined', forChat(chat.chatId))).toHaveLength(0);
    }
  });

  it('refuses a repeat that names a member who has blocked the owner, telling them nothing again', async () => {
    const owner = await connectUser(stack);
    const member = await connectUser(stack);
    const other = await connectUser(stack);
    const chat = await makeGroup(owner, [member.userId, other.userId], 'Blocked owner');
    await member.ok('blockUser', { userId: owner.userId });
    await settle(stack, owner, member, other);
    const roster = await stack.items(`ROSTER#${chat.chatId}`);
    const joined = eventsOf(member, 'chat.joined', forChat(chat.chatId)).length;

    // The same refusal as inviting them anywhere (nothing said of the block), alone or with others.
    for (const userIds of [[member.userId], [other.userId, member.userId]]) {
      const refused = await expectRefused(
        stack,
        owner,
        'invite',
        { chatId: chat.chatId, userIds },
        'FORBIDDEN',
      );
      expect(refused.message).toBe('You cannot add these people to a chat.');
    }
    await settle(stack, owner, member, other);
    expect(await stack.items(`ROSTER#${chat.chatId}`)).toEqual(roster);
    expect(eventsOf(member, 'chat.joined', forChat(chat.chatId))).toHaveLength(joined);
    for (const socket of [owner, member, other]) {
      expect(eventsOf(socket, 'member.joined', forChat(chat.chatId))).toHaveLength(0);
    }
    // A repeat naming only the others still tells them again.
    await owner.ok('invite', { chatId: chat.chatId, userIds: [other.userId] });
    await settle(stack, owner, member, other);
    expect(eventsOf(other, 'chat.joined', forChat(chat.chatId))).toHaveLength(1);
  });
});
