/** `history`: a page of messages, ascending by seq. */
import * as contract from '../contract/actions/messages.ts';
import { deps } from '../domain/deps.ts';
import { getHistory } from '../domain/history.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.history,
  run: (input, ctx) => getHistory(deps(), ctx.caller, input),
});
