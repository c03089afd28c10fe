/** `createChat`: a direct chat with `userId`, or a group with `name` and `memberIds`. */
import * as contract from '../contract/actions/chats.ts';
import { createChat } from '../domain/chats.ts';
import { deps } from '../domain/deps.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.createChat,
  run: (input, ctx) => createChat(deps(), ctx.caller, input),
});
