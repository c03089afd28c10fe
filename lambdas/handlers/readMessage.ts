/** `readMessage`: marks a message and every earlier one as read; the cursor never moves back. */
import { deps } from '../domain/deps.ts';
import { readMessage } from '../domain/messages.ts';
import { type Fields, requiredId } from '../shared/validate.ts';
import { wsAction } from '../shared/ws-middleware.ts';

const parse = (fields: Fields) => ({
  chatId: requiredId(fields, 'chatId'),
  messageId: requiredId(fields, 'messageId'),
});

export const handler = wsAction({
  action: 'readMessage',
  parse,
  run: (input, ctx) => readMessage(deps(), ctx.user, input),
});
