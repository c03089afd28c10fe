/** `cancelScheduled`: cancel one of the caller's scheduled messages before it goes out. */
import * as contract from '../contract/actions/scheduled.ts';
import { deps } from '../domain/deps.ts';
import { cancelScheduled } from '../domain/scheduled-cancel.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.cancelScheduled,
  run: (input, ctx) => cancelScheduled(deps(), ctx.caller, { ...input, connectionId: ctx.connectionId }),
});
