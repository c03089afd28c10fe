/** `getPresence`: online state and last-seen time of up to 100 users. */
import { deps } from '../domain/deps.ts';
import { LIMITS } from '../domain/limits.ts';
import { getPresence } from '../domain/presence.ts';
import { requiredIdArray } from '../shared/validate.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: 'getPresence',
  parse: (fields) => requiredIdArray(fields, 'userIds', 1, LIMITS.presenceMaxIds),
  run: (userIds, ctx) => getPresence(deps(), ctx.user, { userIds }),
});
