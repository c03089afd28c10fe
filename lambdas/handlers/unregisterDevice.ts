/** `unregisterDevice`: removes one of the caller's push devices. */
import * as contract from '../contract/actions/people.ts';
import { deps } from '../domain/deps.ts';
import { unregisterDevice } from '../domain/devices.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.unregisterDevice,
  run: (input, ctx) => unregisterDevice(deps(), ctx.caller, input),
});
