/** `deactivateUser`: an administrator ends a user's access at once (lambdas/domain/deactivation.ts). */
import * as contract from '../contract/actions/people.ts';
import { deactivateUser } from '../domain/deactivation.ts';
import { deps } from '../domain/deps.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.deactivateUser,
  run: (input, ctx) => deactivateUser(deps(), ctx.caller, input),
});
