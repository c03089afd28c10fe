/** `sendMessage`: store a message and push `message.created` to the chat's other sockets. */
import * as contract from '../contract/actions/messages.ts';
import { deps } from '../domain/deps.ts';
import { sendMessage } from '../domain/send.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.sendMessage,
  run: (input, ctx) => sendMessage(deps(), ctx.caller, { ...input, connectionId: ctx.connectionId }),
});
