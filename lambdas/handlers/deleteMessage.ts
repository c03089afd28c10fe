/** `deleteMessage`: the author deletes a message. */
import * as contract from '../contract/actions/messages.ts';
import { deps } from '../domain/deps.ts';
import { deleteMessage } from '../domain/messages.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.deleteMessage,
  run: (input, ctx) => deleteMessage(deps(), ctx.caller, input),
});
