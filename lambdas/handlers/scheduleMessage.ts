/** `scheduleMessage`: store a message to be sent at `sendAt`, and tell the author's other sockets. */
import * as contract from '../contract/actions/scheduled.ts';
import { scheduleMessage } from '../domain/scheduled.ts';
import { scheduledDeps } from '../domain/scheduled-deps.ts';
import { noteStoredText } from '../shared/rate-limiter.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.scheduleMessage,
  run: async (input, ctx) => {
    const { scheduled, stored } = await scheduleMessage(
      scheduledDeps(),
      ctx.caller,
      { ...input, connectionId: ctx.connectionId },
      // Counted by the audience its send will reach (rate-limits.ts `membersPerFrame`).
      ctx.chargeAudience,
    );
    // The message it becomes counts against the author's daily text budget now (rate-limiter.ts),
    // once: a repeat answered with the schedule made before stored nothing.
    if (stored) noteStoredText(ctx.caller.userId, contract.scheduleMessage.name, input.text);
    return { scheduled };
  },
});
