/** `blockUser`: the caller blocks a user (private to the caller). */
import * as contract from '../contract/actions/people.ts';
import { blockUser } from '../domain/blocking.ts';
import { deps } from '../domain/deps.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.blockUser,
  run: (input, ctx) => blockUser(deps(), ctx.caller, input),
});
