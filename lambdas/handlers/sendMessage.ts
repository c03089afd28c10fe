/** `sendMessage`: store a message and push `message.created` to the chat's other sockets. */
import * as contract from '../contract/actions/messages.ts';
import { deps } from '../domain/deps.ts';
import { sendMessage } from '../domain/send.ts';
import { countMetric } from '../shared/metrics.ts';
import { noteStoredText } from '../shared/rate-limiter.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.sendMessage,
  // The lease write (when one is due) overlaps the send's checks and claim (send-checks.ts).
  limitBeside: true,
  run: (input, ctx) =>
    sendMessage(deps(), ctx.caller, { ...input, connectionId: ctx.connectionId }, ctx.admitted, {
      // Counted by its audience (rate-limits.ts `membersPerFrame`), beside the posts.
      chargeAudience: ctx.chargeAudience,
      // Counted when stored, also when the send is then answered INTERNAL (its cursor move failed),
      // since its retry is a duplicate: against the sender's daily text budget, on the next lease
      // write (rate-limiter.ts). A duplicate is never counted.
      stored: (message) => {
        countMetric('MessagesSent');
        noteStoredText(ctx.caller.userId, contract.sendMessage.name, message.text);
      },
    }),
});
