/** `listReports`: reports, newest first, for administrators. */
import * as contract from '../contract/actions/people.ts';
import { deps } from '../domain/deps.ts';
import { listReports } from '../domain/reports.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.listReports,
  run: (input, ctx) => listReports(deps(), ctx.caller, input),
});
