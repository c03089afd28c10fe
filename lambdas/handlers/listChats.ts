/** `listChats`: the caller's chats, most recent activity first. */
import * as contract from '../contract/actions/chats.ts';
import { listChats } from '../domain/chat-list.ts';
import { deps } from '../domain/deps.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.listChats,
  run: (input, ctx) => listChats(deps(), ctx.caller, input),
});
