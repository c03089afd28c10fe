/** `react`: add or remove one of the caller's emoji on a message. */
import * as contract from '../contract/actions/messages.ts';
import { deps } from '../domain/deps.ts';
import { react } from '../domain/reactions.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.react,
  run: (input, ctx) => react(deps(), ctx.caller, input),
});
