/** `registerDevice`: stores a push token for the caller (moving it from another user if needed). */
import * as contract from '../contract/actions/people.ts';
import { deps } from '../domain/deps.ts';
import { registerDevice } from '../domain/devices.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.registerDevice,
  run: (input, ctx) => registerDevice(deps(), ctx.caller, input),
});
