/** `ping`: keep-alive; answered with `pong`. */
import * as contract from '../contract/actions/ping.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.ping,
  run: async () => ({}),
});
