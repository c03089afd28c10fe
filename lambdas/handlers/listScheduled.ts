/** `listScheduled`: the caller's scheduled messages still to go out, soonest first. */
import * as contract from '../contract/actions/scheduled.ts';
import { deps } from '../domain/deps.ts';
import { listScheduled } from '../domain/scheduled-list.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.listScheduled,
  run: (input, ctx) => listScheduled(deps(), ctx.caller, input),
});
