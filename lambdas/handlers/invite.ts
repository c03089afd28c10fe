/** `invite`: the owner adds people to a group; on a direct chat it starts a new group. */
import * as contract from '../contract/actions/chats.ts';
import { invite } from '../domain/chats.ts';
import { deps } from '../domain/deps.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.invite,
  run: (input, ctx) => invite(deps(), ctx.caller, input),
});
