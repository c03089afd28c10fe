/**
 * Every refusal end to end: non-members, owner-only and author-only rules, conflicts, and bad input
 * for each action (the size limits: chat-limits.test.ts). Each failed request must answer an exact error frame, write nothing (the chat's
 * partition is compared before and after) and leave the socket usable.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Chat,
  connectUser,
  expectRefused,
  listChats,
  type Message,
  makeDirect,
  makeGroup,
  sendText,
  type UserSocket,
} from '../support/chat.ts';
import { BIG_GROUP_TIMEOUTS, uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack({ timeoutSeconds: BIG_GROUP_TIMEOUTS });
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

type Role = 'owner' | 'member' | 'member2' | 'outsider' | 'peer';
const socketOf = (role: Role): UserSocket => ({ owner, member, member2, outsider, peer })[role];

/** Every chat-scoped action with otherwise valid fields. */
const CHAT_SCOPED: [string, (chatId: string, messageId: string) => Record<string, unknown>][] = [
  ['getChat', (chatId) => ({ chatId })],
  ['history', (chatId) => ({ chatId })],
  ['history', (chatId) => ({ chatId, after: 1, limit: 10 })],
  ['sendMessage', (chatId) => ({ chatId, text: 'let me in' })],
  ['editMessage', (chatId, messageId) => ({ chatId, messageId, text: 'hijack' })],
  ['deleteMessage', (chatId, messageId) => ({ chatId, messageId })],
  ['readMessage', (chatId, messageId) => ({ chatId, messageId })],
  ['typing', (chatId) => ({ chatId })],
  ['invite', (chatId) => ({ chatId, userIds: [uniqueId('friend')] })],
  ['removeMember', (chatId) => ({ chatId, userId: outsider.userId })],
  ['removeMember', (chatId) => ({ chatId, userId: owner.userId })],
  ['deleteChat', (chatId) => ({ chatId })],
];

/** [which chat, who asks, the chat and a message in it] */
const NOT_MEMBER: [string, Role, () => [chatId: string, messageId: string]][] = [
  ['a group they are not in', 'outsider', () => [group.chatId, memberMsg.messageId]],
  ['a direct chat they are not in', 'outsider', () => [direct.chatId, otherChatMsg.messageId]],
  // Members of other chats too: the owner of both chats asks about one that does not exist.
  ['a chat that does not exist', 'owner', () => [`ghost-chat-${group.chatId}`, memberMsg.messageId]],
];

describe('non-members get NOT_FOUND', () => {
  const rows = NOT_MEMBER.flatMap(([where, role, target]) =>
    CHAT_SCOPED.map(([action, fields]) => ({ where, role, target, action, fields })),
  );

  it.each(rows)('for $action on $where', async ({ role, target, action, fields }) => {
    await expectRefused(stack, socketOf(role), action, fields(...target()), 'NOT_FOUND');
  });

  it('does not reveal the chat: the same answer as for a chat that does not exist', async () => {
    const real = await outsider.request('getChat', { chatId: group.chatId });
    const ghost = await outsider.request('getChat', { chatId: uniqueId('ghost-chat') });
    expect(real.code).toBe('NOT_FOUND');
    expect(ghost.code).toBe('NOT_FOUND');
  });
});

type Msg = 'ownerMsg' | 'memberMsg' | 'deletedMsg' | 'otherChatMsg' | 'made-up';
const messageIdOf = (msg: Msg): string =>
  msg === 'made-up'
    ? `nomsg-${group.chatId}`
    : { ownerMsg, memberMsg, deletedMsg, otherChatMsg }[msg].messageId;

/** [the rule, who asks, action, in which chat, its user or message, the answer] */
type Rule = [string, Role, string, 'group' | 'direct', { userId?: Role; messageId?: Msg }, string];

const ROLE_RULES: Rule[] = [
  // Owner-only actions.
  ['invite by a member', 'member', 'invite', 'group', {}, 'FORBIDDEN'],
  ['deleteChat of a group by a member', 'member', 'deleteChat', 'group', {}, 'FORBIDDEN'],
  ['deleteChat of a direct chat by the peer', 'peer', 'deleteChat', 'direct', {}, 'FORBIDDEN'],
  ['a member removing another member', 'member', 'removeMember', 'group', { userId: 'member2' }, 'FORBIDDEN'],
  ['a member removing the owner', 'member', 'removeMember', 'group', { userId: 'owner' }, 'FORBIDDEN'],
  [
    'the peer removing the creator of a direct chat',
    'peer',
    'removeMember',
    'direct',
    { userId: 'owner' },
    'FORBIDDEN',
  ],
  ['its creator removing the peer', 'owner', 'removeMember', 'direct', { userId: 'peer' }, 'FORBIDDEN'],
  ['the owner removing a non-member', 'owner', 'removeMember', 'group', { userId: 'outsider' }, 'NOT_FOUND'],
  // Author-only message actions, even for the owner.
  ['owner edits member’s message', 'owner', 'editMessage', 'group', { messageId: 'memberMsg' }, 'FORBIDDEN'],
  ['owner deletes member’s one', 'owner', 'deleteMessage', 'group', { messageId: 'memberMsg' }, 'FORBIDDEN'],
  ['member edits owner’s message', 'member2', 'editMessage', 'group', { messageId: 'ownerMsg' }, 'FORBIDDEN'],
  ['member deletes owner’s one', 'member2', 'deleteMessage', 'group', { messageId: 'ownerMsg' }, 'FORBIDDEN'],
  ['editing a deleted message', 'member', 'editMessage', 'group', { messageId: 'deletedMsg' }, 'CONFLICT'],
  // A message that is not in this chat.
  ...(['editMessage', 'deleteMessage', 'readMessage'] as const).flatMap((action) =>
    (['made-up', 'otherChatMsg'] as const).map(
      (messageId): Rule => [
        `${action}: not in the chat`,
        'owner',
        action,
        'group',
        { messageId },
        'NOT_FOUND',
      ],
    ),
  ),
];

describe('owner-only and author-only rules', () => {
  it.each(ROLE_RULES)('refuse %s (%s: %s)', async (_rule, role, action, chat, refs, code) => {
    const fields: Record<string, unknown> = {
      chatId: (chat === 'group' ? group : direct).chatId,
      ...(action === 'invite' ? { userIds: [uniqueId('friend')] } : {}),
      ...(action === 'editMessage' ? { text: 'not mine' } : {}),
      ...(refs.userId ? { userId: socketOf(refs.userId).userId } : {}),
      ...(refs.messageId ? { messageId: messageIdOf(refs.messageId) } : {}),
    };
    await expectRefused(stack, socketOf(role), action, fields, code);
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
