/** `listScheduled`: the caller's scheduled messages still to go out, soonest first. */
import * as contract from '../contract/actions/scheduled.ts';
import { listScheduled } from '../domain/scheduled.ts';
import { scheduledDeps } from '../domain/scheduled-deps.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.listScheduled,
  run: (input, ctx) => listScheduled(scheduledDeps(), ctx.caller, input),
});
