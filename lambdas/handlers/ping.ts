/** `ping`: keep-alive; replies `{type: "pong"}`. */
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: 'ping',
  parse: () => undefined,
  run: async () => undefined,
  respond: (_result, ctx) => ({ type: 'pong', action: 'ping', requestId: ctx.requestId }),
});
