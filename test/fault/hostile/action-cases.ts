/** Hostile frames: The other actions' fields, and every action on others' chats and messages. */
import { type Case, EMOJI } from './world.ts';

export const ACTION_CASES: Case[] = [
  // ── Other actions: fields ──────────────────────────────────────────────────────────────────────────
  {
    name: 'createChat with an unknown kind',
    frame: (x) => ({ action: 'createChat', kind: 'channel', userId: x.ab }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'createChat direct with oneself',
    frame: (x) => ({ action: 'createChat', kind: 'direct', userId: x.alice }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'createChat direct with an id containing #',
    frame: () => ({ action: 'createChat', kind: 'direct', userId: 'USER#x' }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'createChat group with memberIds as a string',
    frame: () => ({ action: 'createChat', kind: 'group', name: 'g', memberIds: 'bob' }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'createChat group with a numeric member',
    frame: () => ({ action: 'createChat', kind: 'group', name: 'g', memberIds: [1] }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'createChat group of 1001',
    frame: () => ({
      action: 'createChat',
      kind: 'group',
      name: 'big',
      memberIds: Array.from({ length: 1000 }, (_, i) => `m${i}`),
    }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'createChat group name of 101 emoji',
    frame: () => ({ action: 'createChat', kind: 'group', name: EMOJI.repeat(101), memberIds: [] }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'createChat group with a clientChatId containing #',
    frame: () => ({ action: 'createChat', kind: 'group', name: 'g', memberIds: [], clientChatId: 'a#b' }),
    code: 'BAD_REQUEST',
    says: /"clientChatId" contains characters that are not allowed/,
  },
  {
    name: 'createChat group with a clientChatId containing U+FFFE',
    frame: () => ({
      action: 'createChat',
      kind: 'group',
      name: 'g',
      memberIds: [],
      clientChatId: 'a\uFFFEb',
    }),
    code: 'BAD_REQUEST',
    says: /"clientChatId" contains characters that are not allowed/,
  },
  {
    name: 'createChat group with a clientChatId of 65 characters',
    frame: () => ({
      action: 'createChat',
      kind: 'group',
      name: 'g',
      memberIds: [],
      clientChatId: 'k'.repeat(65),
    }),
    code: 'BAD_REQUEST',
    says: /"clientChatId" must be at most 64 characters/,
  },
  {
    name: 'createChat group with a numeric clientChatId',
    frame: () => ({ action: 'createChat', kind: 'group', name: 'g', memberIds: [], clientChatId: 7 }),
    code: 'BAD_REQUEST',
    says: /"clientChatId" must be a string/,
  },
  {
    name: 'history with before and after',
    frame: (x) => ({ action: 'history', chatId: x.ab, before: 5, after: 1 }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'history limit 0',
    frame: (x) => ({ action: 'history', chatId: x.ab, limit: 0 }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'history limit 101',
    frame: (x) => ({ action: 'history', chatId: x.ab, limit: 101 }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'history limit as a string',
    frame: (x) => ({ action: 'history', chatId: x.ab, limit: '10' }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'history before 1.5',
    frame: (x) => ({ action: 'history', chatId: x.ab, before: 1.5 }),
    code: 'BAD_REQUEST',
    says: /^"before" must be a whole number, not 1\.5\.$/,
  },
  {
    name: 'history before -1',
    frame: (x) => ({ action: 'history', chatId: x.ab, before: -1 }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'typing with isTyping "yes"',
    frame: (x) => ({ action: 'typing', chatId: x.ab, isTyping: 'yes' }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'invite with no ids',
    frame: (x) => ({ action: 'invite', chatId: x.ab, userIds: [] }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'invite with 51 ids',
    frame: (x) => ({
      action: 'invite',
      chatId: x.ab,
      userIds: Array.from({ length: 51 }, (_, i) => `i${i}`),
    }),
    code: 'BAD_REQUEST',
  },
  // On the direct chat ab, an invite creates a group: a bad key must refuse it before anything.
  {
    name: 'invite into a direct chat with a clientChatId containing #',
    frame: (x) => ({ action: 'invite', chatId: x.ab, userIds: [x.carol], clientChatId: 'a#b' }),
    code: 'BAD_REQUEST',
    says: /"clientChatId" contains characters that are not allowed/,
  },
  {
    name: 'invite into a direct chat with a clientChatId of 65 characters',
    frame: (x) => ({ action: 'invite', chatId: x.ab, userIds: [x.carol], clientChatId: 'k'.repeat(65) }),
    code: 'BAD_REQUEST',
    says: /"clientChatId" must be at most 64 characters/,
  },
  {
    name: 'invite into a direct chat with an empty clientChatId',
    frame: (x) => ({ action: 'invite', chatId: x.ab, userIds: [x.carol], clientChatId: '' }),
    code: 'BAD_REQUEST',
    says: /"clientChatId"/,
  },
  {
    name: 'invite into a direct chat with a clientChatId as an object',
    frame: (x) => ({ action: 'invite', chatId: x.ab, userIds: [x.carol], clientChatId: { k: 1 } }),
    code: 'BAD_REQUEST',
    says: /"clientChatId" must be a string/,
  },
  {
    name: 'getPresence with no ids',
    frame: () => ({ action: 'getPresence', userIds: [] }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'getPresence with 101 ids',
    frame: () => ({ action: 'getPresence', userIds: Array.from({ length: 101 }, (_, i) => `p${i}`) }),
    code: 'BAD_REQUEST',
  },
  {
    name: 'getPresence with a string',
    frame: () => ({ action: 'getPresence', userIds: 'bob' }),
    code: 'BAD_REQUEST',
  },
  // ── Others' chats and messages ─────────────────────────────────────────────────────────────────────
  { name: "getChat of others' chat", frame: (x) => ({ action: 'getChat', chatId: x.bc }), code: 'NOT_FOUND' },
  { name: "history of others' chat", frame: (x) => ({ action: 'history', chatId: x.bc }), code: 'NOT_FOUND' },
  { name: "typing in others' chat", frame: (x) => ({ action: 'typing', chatId: x.bc }), code: 'NOT_FOUND' },
  {
    name: "readMessage in others' chat",
    frame: (x) => ({ action: 'readMessage', chatId: x.bc, messageId: x.bobMsgInBc.messageId }),
    code: 'NOT_FOUND',
  },
  {
    name: 'readMessage of a message of another chat',
    frame: (x) => ({ action: 'readMessage', chatId: x.ab, messageId: x.bobMsgInBc.messageId }),
    code: 'NOT_FOUND',
  },
  {
    name: "editMessage of bob's message",
    frame: (x) => ({
      action: 'editMessage',
      chatId: x.ab,
      messageId: x.bobMsgInAb.messageId,
      text: 'mine now',
    }),
    code: 'FORBIDDEN',
  },
  {
    name: "editMessage in others' chat",
    frame: (x) => ({ action: 'editMessage', chatId: x.bc, messageId: x.bobMsgInBc.messageId, text: 'x' }),
    code: 'NOT_FOUND',
  },
  {
    name: 'editMessage naming a message of another chat',
    frame: (x) => ({ action: 'editMessage', chatId: x.ab, messageId: x.bobMsgInBc.messageId, text: 'x' }),
    code: 'NOT_FOUND',
  },
  {
    name: "deleteMessage of bob's group message",
    frame: (x) => ({ action: 'deleteMessage', chatId: x.g, messageId: x.bobMsgInG.messageId }),
    code: 'FORBIDDEN',
  },
  {
    name: "deleteMessage in others' chat",
    frame: (x) => ({ action: 'deleteMessage', chatId: x.bc, messageId: x.bobMsgInBc.messageId }),
    code: 'NOT_FOUND',
  },
  {
    name: "invite into bob's group (not the owner)",
    frame: (x) => ({ action: 'invite', chatId: x.g, userIds: ['mallory'] }),
    code: 'FORBIDDEN',
  },
  {
    name: "invite into others' chat",
    frame: (x) => ({ action: 'invite', chatId: x.bc, userIds: [x.alice] }),
    code: 'NOT_FOUND',
  },
  {
    name: "removeMember of carol from bob's group",
    frame: (x) => ({ action: 'removeMember', chatId: x.g, userId: x.carol }),
    code: 'FORBIDDEN',
  },
  {
    name: 'removeMember of a non-member from a direct chat',
    frame: (x) => ({ action: 'removeMember', chatId: x.ab, userId: x.carol }),
    code: 'NOT_FOUND',
  },
  {
    name: "removeMember (leave) of others' direct chat",
    frame: (x) => ({ action: 'removeMember', chatId: x.bc, userId: x.alice }),
    code: 'NOT_FOUND',
  },
  {
    name: "removeMember in others' chat",
    frame: (x) => ({ action: 'removeMember', chatId: x.bc, userId: x.carol }),
    code: 'NOT_FOUND',
  },
  {
    name: "deleteChat of bob's group",
    frame: (x) => ({ action: 'deleteChat', chatId: x.g }),
    code: 'FORBIDDEN',
  },
  {
    name: "deleteChat of others' chat",
    frame: (x) => ({ action: 'deleteChat', chatId: x.bc }),
    code: 'NOT_FOUND',
  },
];
