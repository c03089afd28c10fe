/** `typing`: tells the other members; writes nothing. Acks only when a requestId was given. */
import { deps } from '../domain/deps.ts';
import { typing } from '../domain/messages.ts';
import { ackFrame } from '../shared/frames.ts';
import { type Fields, optionalBoolean, requiredId } from '../shared/validate.ts';
import { wsAction } from '../shared/ws-middleware.ts';

const parse = (fields: Fields) => ({
  chatId: requiredId(fields, 'chatId'),
  isTyping: optionalBoolean(fields, 'isTyping') ?? true,
});

export const handler = wsAction({
  action: 'typing',
  parse,
  run: (input, ctx) => typing(deps(), ctx.user, input),
  respond: (result, ctx) =>
    ctx.requestId === null ? undefined : ackFrame(ctx.action, ctx.requestId, result),
});
