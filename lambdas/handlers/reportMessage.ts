/** `reportMessage`: a member reports a message to the administrators. */
import * as contract from '../contract/actions/people.ts';
import { deps } from '../domain/deps.ts';
import { reportMessage } from '../domain/reports.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.reportMessage,
  run: (input, ctx) => reportMessage(deps(), ctx.caller, input),
});
