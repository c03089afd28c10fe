/**
 * `deleteAccount`: the caller deletes their own account (lambdas/domain/account-deletion.ts). The
 * ack is posted, then this socket closed (close-socket.ts; `DeletedSocketsLeftOpen` if it cannot be).
 */
import * as contract from '../contract/actions/people.ts';
import { deleteAccount } from '../domain/account-deletion.ts';
import { deps } from '../domain/deps.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.deleteAccount,
  run: (input, ctx) => deleteAccount(deps(), ctx.caller, input, ctx.connectionId),
  closeAfter: { what: 'of a deleted account', leftOpen: 'DeletedSocketsLeftOpen' },
});
