/** `readMessage`: marks a message and all earlier ones as read. */
import * as contract from '../contract/actions/messages.ts';
import { deps } from '../domain/deps.ts';
import { readMessage } from '../domain/messages.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.readMessage,
  run: (input, ctx) => readMessage(deps(), ctx.caller, input),
});
