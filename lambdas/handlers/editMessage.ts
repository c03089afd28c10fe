/** `editMessage`: the author changes a message's text. */
import * as contract from '../contract/actions/messages.ts';
import { deps } from '../domain/deps.ts';
import { editMessage } from '../domain/messages.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.editMessage,
  run: (input, ctx) => editMessage(deps(), ctx.caller, input),
});
