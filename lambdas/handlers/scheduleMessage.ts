/** `scheduleMessage`: store a message to be sent at `sendAt`, and tell the author's other sockets. */
import * as contract from '../contract/actions/scheduled.ts';
import { scheduleMessage } from '../domain/scheduled.ts';
import { scheduledDeps } from '../domain/scheduled-deps.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.scheduleMessage,
  run: (input, ctx) =>
    scheduleMessage(
      scheduledDeps(),
      ctx.caller,
      { ...input, connectionId: ctx.connectionId },
      // Counted by the audience its send will reach (rate-limits.ts `membersPerFrame`).
      ctx.chargeAudience,
    ),
});
