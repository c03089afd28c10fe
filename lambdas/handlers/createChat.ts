/** `createChat`: a direct chat with `userId`, or a group with `name` and `memberIds`. */
import { type CreateChatInput, createChat } from '../domain/chats.ts';
import { deps } from '../domain/deps.ts';
import { LIMITS } from '../domain/limits.ts';
import { badRequest } from '../shared/errors.ts';
import { type Fields, requiredId, requiredIdArray, requiredString } from '../shared/validate.ts';
import { wsAction } from '../shared/ws-middleware.ts';

function parse(fields: Fields): CreateChatInput {
  const kind = fields.kind;
  if (kind === 'direct') return { kind, userId: requiredId(fields, 'userId') };
  if (kind === 'group') {
    return {
      kind,
      name: requiredString(fields, 'name', { max: LIMITS.groupNameMaxChars }).trim(),
      memberIds: requiredIdArray(fields, 'memberIds', 0, LIMITS.groupMaxMembers),
    };
  }
  throw badRequest('"kind" must be "direct" or "group".');
}

export const handler = wsAction({
  action: 'createChat',
  parse,
  run: (input, ctx) => createChat(deps(), ctx.user, input),
});
