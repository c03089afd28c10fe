/** `editMessage`: the author changes a message's text. */
import { deps } from '../domain/deps.ts';
import { LIMITS } from '../domain/limits.ts';
import { editMessage } from '../domain/messages.ts';
import { type Fields, requiredId, requiredString } from '../shared/validate.ts';
import { wsAction } from '../shared/ws-middleware.ts';

const parse = (fields: Fields) => ({
  chatId: requiredId(fields, 'chatId'),
  messageId: requiredId(fields, 'messageId'),
  text: requiredString(fields, 'text', { max: LIMITS.textMaxChars }),
});

export const handler = wsAction({
  action: 'editMessage',
  parse,
  run: (input, ctx) => editMessage(deps(), ctx.user, input),
});
