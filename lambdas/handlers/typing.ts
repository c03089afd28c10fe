/** `typing`: tells the other members; writes nothing. Acks only when a requestId was given. */
import * as contract from '../contract/actions/messages.ts';
import { deps } from '../domain/deps.ts';
import { typing } from '../domain/messages.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.typing,
  run: (input, ctx) => typing(deps(), ctx.caller, input),
});
