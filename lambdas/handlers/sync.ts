/** `sync`: the changes of a chat after a version, and the members when they changed. */
import * as contract from '../contract/actions/messages.ts';
import { deps } from '../domain/deps.ts';
import { sync } from '../domain/sync.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.sync,
  run: (input, ctx) => sync(deps(), ctx.caller, input),
});
