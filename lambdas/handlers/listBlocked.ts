/** `listBlocked`: the users the caller has blocked, a page at a time. */
import * as contract from '../contract/actions/people.ts';
import { listBlocked } from '../domain/blocking.ts';
import { deps } from '../domain/deps.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.listBlocked,
  run: (input, ctx) => listBlocked(deps(), ctx.caller, input),
});
