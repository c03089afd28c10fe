/**
 * Limits end to end: a group holds at most 1,000 members, creator included (createChat and invite),
 * a request over 64 KB is PAYLOAD_TOO_LARGE and writes nothing, and unknown extra fields are ignored.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Chat,
  connectUser,
  expectRefused,
  getChat,
  makeGroup,
  type UserSocket,
} from '../support/chat.ts';
import { BIG_GROUP_TIMEOUTS, uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack({ timeoutSeconds: BIG_GROUP_TIMEOUTS });
let owner: UserSocket;
let group: Chat;

beforeAll(async () => {
  owner = await connectUser(stack, uniqueId('owner'));
  const member = await connectUser(stack, uniqueId('member'));
  group = await makeGroup(owner, [member.userId], 'Limits');
});

const ids = (n: number, prefix = 'id') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('limits', () => {
  it('caps a group at 1,000 members, creator included, for createChat and invite', async () => {
    const creator = await connectUser(stack);
    const created = await creator.request(
      'createChat',
      { kind: 'group', name: 'Almost full', memberIds: ids(998, uniqueId('m')) },
      60_000,
    );
    const chat = created.chat as Chat;
    expect(chat.memberCount).toBe(999);
    // A Chat lists at most 200 members, the owner first.
    expect(chat.members).toHaveLength(200);
    expect(chat.members[0]?.userId).toBe(creator.userId);
    await expectRefused(
      stack,
      creator,
      'invite',
      { chatId: chat.chatId, userIds: [uniqueId('x'), uniqueId('y')] },
      'BAD_REQUEST',
    );
    const full = (await creator.ok('invite', { chatId: chat.chatId, userIds: [uniqueId('z')] })).chat as Chat;
    expect(full.memberCount).toBe(1000);
    await expectRefused(
      stack,
      creator,
      'invite',
      { chatId: chat.chatId, userIds: [uniqueId('w')] },
      'BAD_REQUEST',
    );
    expect((await getChat(creator, chat.chatId)).memberCount).toBe(1000);
  }, 60_000);

  it('answers a sendMessage request over 64 KB (in frames of 32 KB) with PAYLOAD_TOO_LARGE and writes nothing', async () => {
    await expectRefused(
      stack,
      owner,
      'sendMessage',
      { chatId: group.chatId, text: 'hi', pad: 'p'.repeat(70 * 1024) },
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('ignores unknown extra fields', async () => {
    const ack = await owner.ok('getChat', { chatId: group.chatId, colour: 'blue', nested: { a: 1 } });
    expect((ack.chat as Chat).chatId).toBe(group.chatId);
  });
});
