/** `unblockUser`: the caller lifts a block. */
import * as contract from '../contract/actions/people.ts';
import { unblockUser } from '../domain/blocking.ts';
import { deps } from '../domain/deps.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.unblockUser,
  run: (input, ctx) => unblockUser(deps(), ctx.caller, input),
});
