/** `deleteChat`: the owner deletes a chat for everyone. */
import * as contract from '../contract/actions/chats.ts';
import { deleteChat } from '../domain/chats.ts';
import { deps } from '../domain/deps.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.deleteChat,
  run: (input, ctx) => deleteChat(deps(), ctx.caller, input),
});
