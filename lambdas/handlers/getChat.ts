/** `getChat`: one chat with its members. */
import * as contract from '../contract/actions/chats.ts';
import { getChat } from '../domain/chats.ts';
import { deps } from '../domain/deps.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.getChat,
  run: (input, ctx) => getChat(deps(), ctx.caller, input),
});
