/** `sendMessage`: store a message and push `message.created` to the chat's other sockets. */
import { deps } from '../domain/deps.ts';
import { LIMITS } from '../domain/limits.ts';
import { type SendInput, sendMessage } from '../domain/messages.ts';
import { countMetric } from '../shared/metrics.ts';
import { type Fields, optionalId, requiredId, requiredString } from '../shared/validate.ts';
import { wsAction } from '../shared/ws-middleware.ts';

function parse(fields: Fields): SendInput {
  return {
    chatId: requiredId(fields, 'chatId'),
    text: requiredString(fields, 'text', { max: LIMITS.textMaxChars }),
    clientMessageId: optionalId(fields, 'clientMessageId'),
    replyTo: optionalId(fields, 'replyTo'),
  };
}

export const handler = wsAction({
  action: 'sendMessage',
  parse,
  run: async (input, ctx) => {
    const result = await sendMessage(deps(), ctx.user, ctx.connectionId, input);
    if (!result.duplicate) countMetric('MessagesSent');
    return result;
  },
});
