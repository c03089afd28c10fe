/** `markDelivered`: the caller's delivery cursor moves forward; the other members are told. */
import * as contract from '../contract/actions/messages.ts';
import { markDelivered } from '../domain/delivery.ts';
import { deps } from '../domain/deps.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.markDelivered,
  run: (input, ctx) => markDelivered(deps(), ctx.caller, input),
});
