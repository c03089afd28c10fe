/** `removeMember`: the owner removes anyone; any member removes themself (leaves). */
import { removeMember } from '../domain/chats.ts';
import { deps } from '../domain/deps.ts';
import { type Fields, requiredId } from '../shared/validate.ts';
import { wsAction } from '../shared/ws-middleware.ts';

const parse = (fields: Fields) => ({
  chatId: requiredId(fields, 'chatId'),
  userId: requiredId(fields, 'userId'),
});

export const handler = wsAction({
  action: 'removeMember',
  parse,
  run: (input, ctx) => removeMember(deps(), ctx.user, input),
});
