/** `invite`: the owner adds people to a group; on a direct chat it starts a new group. */
import { invite } from '../domain/chats.ts';
import { deps } from '../domain/deps.ts';
import { LIMITS } from '../domain/limits.ts';
import { type Fields, requiredId, requiredIdArray } from '../shared/validate.ts';
import { wsAction } from '../shared/ws-middleware.ts';

const parse = (fields: Fields) => ({
  chatId: requiredId(fields, 'chatId'),
  userIds: requiredIdArray(fields, 'userIds', 1, LIMITS.inviteMaxIds),
});

export const handler = wsAction({
  action: 'invite',
  parse,
  run: (input, ctx) => invite(deps(), ctx.user, input),
});
