/** `history`: a page of messages, ascending by seq. */
import { deps } from '../domain/deps.ts';
import { LIMITS } from '../domain/limits.ts';
import { getHistory, type HistoryInput } from '../domain/messages.ts';
import { badRequest } from '../shared/errors.ts';
import { type Fields, optionalInt, requiredId } from '../shared/validate.ts';
import { wsAction } from '../shared/ws-middleware.ts';

const MAX_SEQ = 999_999_999_999;

function parse(fields: Fields): HistoryInput {
  const before = optionalInt(fields, 'before', 1, MAX_SEQ);
  const after = optionalInt(fields, 'after', 0, MAX_SEQ);
  if (before !== undefined && after !== undefined) {
    throw badRequest('Use "before" or "after", not both.');
  }
  return {
    chatId: requiredId(fields, 'chatId'),
    before,
    after,
    limit: optionalInt(fields, 'limit', 1, LIMITS.historyMax) ?? LIMITS.historyDefault,
  };
}

export const handler = wsAction({
  action: 'history',
  parse,
  run: (input, ctx) => getHistory(deps(), ctx.user, input),
});
