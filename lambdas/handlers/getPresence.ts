/** `getPresence`: online state and last-seen time of users. */
import * as contract from '../contract/actions/people.ts';
import { deps } from '../domain/deps.ts';
import { getPresence } from '../domain/presence.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.getPresence,
  run: (input, ctx) => getPresence(deps(), ctx.caller, input),
});
