/** `deleteUser`: an administrator deletes another user's account (lambdas/domain/account-deletion.ts). */
import * as contract from '../contract/actions/people.ts';
import { deleteUser } from '../domain/account-deletion.ts';
import { deps } from '../domain/deps.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.deleteUser,
  run: (input, ctx) => deleteUser(deps(), ctx.caller, input),
});
