/** `deleteMessage`: the author deletes a message (seq and id are kept). */
import { deps } from '../domain/deps.ts';
import { deleteMessage } from '../domain/messages.ts';
import { type Fields, requiredId } from '../shared/validate.ts';
import { wsAction } from '../shared/ws-middleware.ts';

const parse = (fields: Fields) => ({
  chatId: requiredId(fields, 'chatId'),
  messageId: requiredId(fields, 'messageId'),
});

export const handler = wsAction({
  action: 'deleteMessage',
  parse,
  run: (input, ctx) => deleteMessage(deps(), ctx.user, input),
});
