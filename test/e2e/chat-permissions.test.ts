/**
 * Every refusal end to end: non-members, owner-only and author-only rules, conflicts, and bad input
 * for each action. Each failed request must answer an exact error frame, write nothing (the chat's
 * partition is compared before and after) and leave the socket usable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Chat,
  connectUser,
  expectRefused,
  getChat,
  listChats,
  type Message,
  makeDirect,
  makeGroup,
  sendText,
  type UserSocket,
} from '../support/chat.ts';
import { startTestStack, type TestStack, uniqueId } from '../support/stack.ts';

let stack: TestStack;
let owner: UserSocket;
let member: UserSocket;
let member2: UserSocket;
let outsider: UserSocket;
let peer: UserSocket;
let group: Chat;
let direct: Chat;
let ownerMsg: Message;
let memberMsg: Message;
let deletedMsg: Message;
let otherChatMsg: Message;

beforeAll(async () => {
  stack = await startTestStack();
  owner = await connectUser(stack, uniqueId('owner'));
  member = await connectUser(stack, uniqueId('member'));
  member2 = await connectUser(stack, uniqueId('member2'));
  outsider = await connectUser(stack, uniqueId('outsider'));
  peer = await connectUser(stack, uniqueId('peer'));
  group = await makeGroup(owner, [member.userId, member2.userId], 'Rules');
  direct = await makeDirect(owner, peer.userId);
  ownerMsg = await sendText(owner, group.chatId, 'by the owner');
  memberMsg = await sendText(member, group.chatId, 'by a member');
  deletedMsg = await sendText(member, group.chatId, 'deleted later');
  await member.ok('deleteMessage', { chatId: group.chatId, messageId: deletedMsg.messageId });
  otherChatMsg = await sendText(peer, direct.chatId, 'in the direct chat');
});
afterAll(async () => {
  await stack?.stop();
});

/** Every chat-scoped action with otherwise valid fields. */
function chatScoped(chatId: string, messageId: string): [string, Record<string, unknown>][] {
  return [
    ['getChat', { chatId }],
    ['history', { chatId }],
    ['history', { chatId, after: 1, limit: 10 }],
    ['sendMessage', { chatId, text: 'let me in' }],
    ['editMessage', { chatId, messageId, text: 'hijack' }],
    ['deleteMessage', { chatId, messageId }],
    ['readMessage', { chatId, messageId }],
    ['typing', { chatId }],
    ['invite', { chatId, userIds: [uniqueId('friend')] }],
    ['removeMember', { chatId, userId: outsider.userId }],
    ['removeMember', { chatId, userId: owner.userId }],
    ['deleteChat', { chatId }],
  ];
}

describe('non-members get NOT_FOUND', () => {
  it('for every chat-scoped action on a group they are not in', async () => {
    for (const [action, fields] of chatScoped(group.chatId, memberMsg.messageId)) {
      await expectRefused(stack, outsider, action, fields, 'NOT_FOUND');
    }
  });

  it('for every chat-scoped action on a direct chat they are not in', async () => {
    for (const [action, fields] of chatScoped(direct.chatId, otherChatMsg.messageId)) {
      await expectRefused(stack, outsider, action, fields, 'NOT_FOUND');
    }
  });

  it('for every chat-scoped action on a chat that does not exist (members of other chats too)', async () => {
    const ghost = uniqueId('ghost-chat');
    for (const [action, fields] of chatScoped(ghost, memberMsg.messageId)) {
      await expectRefused(stack, owner, action, fields, 'NOT_FOUND');
    }
    expect(await stack.items(`CHAT#${ghost}`)).toEqual([]);
  });

  it('does not reveal the chat: the same answer as for a chat that does not exist', async () => {
    const real = await outsider.request('getChat', { chatId: group.chatId });
    const ghost = await outsider.request('getChat', { chatId: uniqueId('ghost-chat') });
    expect(real.code).toBe('NOT_FOUND');
    expect(ghost.code).toBe('NOT_FOUND');
  });
});

describe('owner-only actions', () => {
  it('refuses invite by a member who is not the owner with FORBIDDEN', async () => {
    await expectRefused(
      stack,
      member,
      'invite',
      { chatId: group.chatId, userIds: [uniqueId('friend')] },
      'FORBIDDEN',
    );
  });

  it('refuses deleteChat by a member who is not the owner with FORBIDDEN', async () => {
    await expectRefused(stack, member, 'deleteChat', { chatId: group.chatId }, 'FORBIDDEN');
    await expectRefused(stack, peer, 'deleteChat', { chatId: direct.chatId }, 'FORBIDDEN');
  });

  it('refuses a member removing another member (or the owner) with FORBIDDEN', async () => {
    await expectRefused(
      stack,
      member,
      'removeMember',
      { chatId: group.chatId, userId: member2.userId },
      'FORBIDDEN',
    );
    await expectRefused(
      stack,
      member,
      'removeMember',
      { chatId: group.chatId, userId: owner.userId },
      'FORBIDDEN',
    );
  });

  it('refuses leaving a direct chat with FORBIDDEN, for both of its members', async () => {
    await expectRefused(
      stack,
      peer,
      'removeMember',
      { chatId: direct.chatId, userId: peer.userId },
      'FORBIDDEN',
    );
    await expectRefused(
      stack,
      owner,
      'removeMember',
      { chatId: direct.chatId, userId: owner.userId },
      'FORBIDDEN',
    );
  });

  it('answers NOT_FOUND when the owner removes someone who is not a member', async () => {
    await expectRefused(
      stack,
      owner,
      'removeMember',
      { chatId: group.chatId, userId: outsider.userId },
      'NOT_FOUND',
    );
  });
});

describe('author-only message actions', () => {
  it('refuses editing or deleting someone else’s message with FORBIDDEN, even for the owner', async () => {
    await expectRefused(
      stack,
      owner,
      'editMessage',
      { chatId: group.chatId, messageId: memberMsg.messageId, text: 'not mine' },
      'FORBIDDEN',
    );
    await expectRefused(
      stack,
      owner,
      'deleteMessage',
      { chatId: group.chatId, messageId: memberMsg.messageId },
      'FORBIDDEN',
    );
    await expectRefused(
      stack,
      member2,
      'editMessage',
      { chatId: group.chatId, messageId: ownerMsg.messageId, text: 'not mine' },
      'FORBIDDEN',
    );
    await expectRefused(
      stack,
      member2,
      'deleteMessage',
      { chatId: group.chatId, messageId: ownerMsg.messageId },
      'FORBIDDEN',
    );
  });

  it('refuses editing a deleted message with CONFLICT', async () => {
    await expectRefused(
      stack,
      member,
      'editMessage',
      { chatId: group.chatId, messageId: deletedMsg.messageId, text: 'resurrect' },
      'CONFLICT',
    );
  });

  it('answers NOT_FOUND for a message that is not in this chat', async () => {
    for (const messageId of [uniqueId('nomsg'), otherChatMsg.messageId]) {
      await expectRefused(
        stack,
        owner,
        'editMessage',
        { chatId: group.chatId, messageId, text: 'x' },
        'NOT_FOUND',
      );
      await expectRefused(stack, owner, 'deleteMessage', { chatId: group.chatId, messageId }, 'NOT_FOUND');
      await expectRefused(stack, owner, 'readMessage', { chatId: group.chatId, messageId }, 'NOT_FOUND');
    }
  });
});

const ids = (n: number, prefix = 'id') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const long = 'x'.repeat(65);

/** A short test title for a frame: long strings and arrays are summarized. */
function label(action: string, fields: Record<string, unknown>): string {
  const short = JSON.stringify(fields, (_k, v: unknown) => {
    if (typeof v === 'string' && [...v].length > 20) return `<${[...v].length} × ${[...v][0]}>`;
    if (Array.isArray(v) && v.length > 3) return `<${v.length} ids>`;
    return v;
  });
  return `${action} ${short}`;
}
const cases = (list: [string, Record<string, unknown>, RegExp][]) =>
  list.map(([action, fields, message]) => ({ title: label(action, fields), action, fields, message }));

describe('bad input is BAD_REQUEST with a message naming the problem', () => {
  // [action, fields (chatId filled in when `chat`), message pattern]
  const withChat: [string, Record<string, unknown>, RegExp][] = [
    ['getChat', { chatId: undefined }, /chatId/],
    ['getChat', { chatId: 42 }, /chatId/],
    ['getChat', { chatId: long }, /chatId/],
    ['getChat', { chatId: 'a#b' }, /chatId/],
    ['getChat', { chatId: 'bell\u0007' }, /chatId/],
    ['getChat', { chatId: '' }, /chatId/],
    ['history', { limit: 0 }, /limit/],
    ['history', { limit: 101 }, /limit/],
    ['history', { limit: 2.5 }, /limit/],
    ['history', { limit: '10' }, /limit/],
    ['history', { before: 0 }, /before/],
    ['history', { before: -3 }, /before/],
    ['history', { before: 'x' }, /before/],
    ['history', { after: -1 }, /after/],
    ['history', { after: 1.5 }, /after/],
    ['history', { before: 5, after: 1 }, /before|after/],
    ['sendMessage', {}, /text/],
    ['sendMessage', { text: '' }, /text/],
    ['sendMessage', { text: '   \n\t ' }, /text/],
    ['sendMessage', { text: 'x'.repeat(4001) }, /text/],
    ['sendMessage', { text: '😀'.repeat(4001) }, /text/],
    ['sendMessage', { text: 42 }, /text/],
    ['sendMessage', { text: 'broken \ud800 surrogate' }, /text/],
    ['sendMessage', { text: ['hi'] }, /text/],
    ['sendMessage', { text: 'hi', clientMessageId: long }, /clientMessageId/],
    ['sendMessage', { text: 'hi', clientMessageId: 7 }, /clientMessageId/],
    ['sendMessage', { text: 'hi', replyTo: 'no-such-message' }, /replyTo/],
    ['sendMessage', { text: 'hi', replyTo: long }, /replyTo/],
    ['editMessage', { text: 'x' }, /messageId/],
    ['editMessage', { messageId: long, text: 'x' }, /messageId/],
    ['editMessage', { messageId: 'MSG-REF', text: '' }, /text/],
    ['editMessage', { messageId: 'MSG-REF', text: '  ' }, /text/],
    ['editMessage', { messageId: 'MSG-REF', text: 'y'.repeat(4001) }, /text/],
    ['editMessage', { messageId: 'MSG-REF' }, /text/],
    ['deleteMessage', {}, /messageId/],
    ['deleteMessage', { messageId: long }, /messageId/],
    ['readMessage', {}, /messageId/],
    ['readMessage', { messageId: ['m'] }, /messageId/],
    ['typing', { isTyping: 'yes' }, /isTyping/],
    ['typing', { chatId: undefined }, /chatId/],
    ['invite', {}, /userIds/],
    ['invite', { userIds: [] }, /userIds/],
    ['invite', { userIds: ids(51) }, /userIds/],
    ['invite', { userIds: 'someone' }, /userIds/],
    ['invite', { userIds: [1] }, /userIds/],
    ['invite', { userIds: [long] }, /userIds/],
    ['invite', { userIds: ['ok', 'not#ok'] }, /userIds/],
    ['removeMember', {}, /userId/],
    ['removeMember', { userId: long }, /userId/],
    ['deleteChat', { chatId: undefined }, /chatId/],
  ];

  it.each(cases(withChat))('$title', async ({ action, fields, message }) => {
    const resolved: Record<string, unknown> = { chatId: group.chatId };
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) delete resolved[k];
      else resolved[k] = v === 'MSG-REF' ? ownerMsg.messageId : v;
    }
    await expectRefused(stack, owner, action, resolved, 'BAD_REQUEST', { chatId: group.chatId, message });
  });

  it('refuses a replyTo that names a message of another chat', async () => {
    await expectRefused(
      stack,
      owner,
      'sendMessage',
      { chatId: group.chatId, text: 'hi', replyTo: otherChatMsg.messageId },
      'BAD_REQUEST',
      { message: /replyTo/ },
    );
  });

  const withoutChat: [string, Record<string, unknown>, RegExp][] = [
    ['createChat', {}, /kind/],
    ['createChat', { kind: 'channel', name: 'x', memberIds: [] }, /kind/],
    ['createChat', { kind: 'direct' }, /userId/],
    ['createChat', { kind: 'direct', userId: 42 }, /userId/],
    ['createChat', { kind: 'direct', userId: long }, /userId/],
    ['createChat', { kind: 'direct', userId: 'a#b' }, /userId/],
    ['createChat', { kind: 'direct', userId: 'SELF' }, /userId|yourself|self/i],
    ['createChat', { kind: 'group', memberIds: [] }, /name/],
    ['createChat', { kind: 'group', name: '', memberIds: [] }, /name/],
    ['createChat', { kind: 'group', name: '  \t ', memberIds: [] }, /name/],
    ['createChat', { kind: 'group', name: 'n'.repeat(101), memberIds: [] }, /name/],
    ['createChat', { kind: 'group', name: 42, memberIds: [] }, /name/],
    ['createChat', { kind: 'group', name: 'no members field' }, /memberIds/],
    ['createChat', { kind: 'group', name: 'x', memberIds: 'bob' }, /memberIds/],
    ['createChat', { kind: 'group', name: 'x', memberIds: [1] }, /memberIds/],
    ['createChat', { kind: 'group', name: 'x', memberIds: [long] }, /memberIds/],
    ['createChat', { kind: 'group', name: 'too big', memberIds: ids(1000) }, /memberIds|members|1000/],
    ['getPresence', {}, /userIds/],
    ['getPresence', { userIds: [] }, /userIds/],
    ['getPresence', { userIds: ids(101) }, /userIds/],
    ['getPresence', { userIds: [long] }, /userIds/],
    ['getPresence', { userIds: 'me' }, /userIds/],
  ];

  it.each(cases(withoutChat))('$title', async ({ action, fields, message }) => {
    const resolved = fields.userId === 'SELF' ? { ...fields, userId: outsider.userId } : fields;
    await expectRefused(stack, outsider, action, resolved, 'BAD_REQUEST', { message });
  });

  it('created no chat for any of the refused createChat requests', async () => {
    expect(await listChats(outsider)).toEqual([]);
  });
});

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

  it('answers a sendMessage frame over 64 KB with PAYLOAD_TOO_LARGE and writes nothing', async () => {
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
