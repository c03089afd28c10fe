/** `reactivateUser`: an administrator lets a deactivated user connect again (lambdas/domain/deactivation.ts). */
import * as contract from '../contract/actions/people.ts';
import { reactivateUser } from '../domain/deactivation.ts';
import { deps } from '../domain/deps.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.reactivateUser,
  run: (input, ctx) => reactivateUser(deps(), ctx.caller, input),
});
