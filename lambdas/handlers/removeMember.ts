/** `removeMember`: the owner removes a member, or a member leaves. */
import * as contract from '../contract/actions/chats.ts';
import { removeMember } from '../domain/chats.ts';
import { deps } from '../domain/deps.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.removeMember,
  run: (input, ctx) => removeMember(deps(), ctx.caller, input),
});
