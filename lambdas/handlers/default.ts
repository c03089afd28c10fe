/**
 * `$default`: frames that match no route. Not JSON, not an object or no string `action` →
 * BAD_REQUEST; an action that names no deployed route → UNKNOWN_ACTION listing the valid actions.
 * On a socket whose token has expired, TOKEN_EXPIRED instead, and the socket is closed (wsUnmatched).
 */
import { ACTIONS } from '../../lib/routes.ts';
import { ChatError } from '../shared/errors.ts';
import { wsUnmatched } from '../shared/ws-middleware.ts';

export const handler = wsUnmatched(({ fields }) => {
  const action = fields.action;
  if (action === undefined || action === null) {
    return new ChatError('BAD_REQUEST', 'The frame has no "action". Every frame needs one.');
  }
  if (typeof action !== 'string') return new ChatError('BAD_REQUEST', '"action" must be a string.');
  return new ChatError(
    'UNKNOWN_ACTION',
    `Unknown action "${action.slice(0, 64)}". Valid actions: ${ACTIONS.join(', ')}.`,
  );
});
