/** Actions on chats and their members. */
import * as v from 'valibot';
import { defineAction } from '../action.ts';
import { cleanName, FIELD, id, idList, int, isoTime, optional, pageCursor, withDefault } from '../fields.ts';
import { LIMITS } from '../limits.ts';
import { Chat, ChatSummary } from '../objects.ts';

const groupName = v.pipe(
  cleanName(LIMITS.groupNameMaxChars),
  v.transform((name) => name.trim()),
);

export const createChat = defineAction('createChat', {
  summary: 'A direct chat with userId (returned again if it exists), or a group with name and memberIds.',
  request: v.variant(
    'kind',
    [
      v.object({ kind: v.literal('direct'), userId: id }),
      v.object({
        kind: v.literal('group'),
        name: groupName,
        memberIds: idList(0, LIMITS.groupMaxMembers),
        clientChatId: optional(
          v.pipe(
            id,
            v.description(
              'Yours, per caller: a repeat with the same id answers the group it created (created: false).',
            ),
          ),
        ),
      }),
    ],
    `${FIELD} must be "direct" or "group".`,
  ),
  ack: { chat: Chat, created: v.boolean() },
  // A direct pair's createChat that brings back the one who left (or repeats that, joins.ts).
  events: ['chat.created', 'chat.joined', 'member.joined'],
});

export const listChats = defineAction('listChats', {
  summary: "The caller's chats, most recent activity first, a page at a time.",
  request: v.object({
    limit: withDefault(int(1, LIMITS.listChatsMax), LIMITS.listChatsDefault),
    cursor: pageCursor('listChats'),
  }),
  ack: {
    chats: v.array(ChatSummary),
    nextCursor: v.pipe(
      v.nullable(v.string()),
      v.description('Pass as cursor for the next page; null on the last.'),
    ),
  },
});

export const getChat = defineAction('getChat', {
  summary: 'One chat with all its members.',
  request: v.object({ chatId: id }),
  ack: { chat: Chat },
});

export const invite = defineAction('invite', {
  summary: 'The owner adds people to a group; on a direct chat it starts a new group.',
  request: v.object({
    chatId: id,
    userIds: idList(1, LIMITS.inviteMaxIds),
    clientChatId: optional(
      v.pipe(
        id,
        v.description(
          "A direct chat's new group only; yours, per caller, shared with createChat's: a repeat with the same id answers the group it created.",
        ),
      ),
    ),
  }),
  ack: { chat: Chat },
  events: ['chat.joined', 'member.joined', 'chat.created'],
});

export const removeMember = defineAction('removeMember', {
  summary: 'The owner (or an administrator) removes a member; any member may remove themself.',
  request: v.object({ chatId: id, userId: id }),
  ack: { chatId: v.string(), userId: v.string() },
  events: ['member.left'],
});

export const deleteChat = defineAction('deleteChat', {
  summary: 'The owner (or an administrator) deletes a chat for everyone.',
  request: v.object({ chatId: id }),
  ack: { chatId: v.string() },
  events: ['chat.deleted'],
});

export const muteChat = defineAction('muteChat', {
  summary: 'No pushes for this chat until `until` (omitted: forever; null: unmute).',
  request: v.object({
    chatId: id,
    until: v.pipe(v.optional(v.nullable(isoTime)), v.description('Omitted: forever. null: unmute.')),
  }),
  ack: { chatId: v.string(), mutedUntil: v.nullable(v.string()) },
  events: ['chat.muted'],
});
