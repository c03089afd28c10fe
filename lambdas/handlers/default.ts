/**
 * `$default`: frames that match no route. Not JSON, not an object or no string `action` →
 * BAD_REQUEST; an action that names no route → UNKNOWN_ACTION listing the valid actions.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { ACTIONS } from '../../lib/routes.ts';
import { ChatError } from '../shared/errors.ts';
import {
  type WsEvent,
  type WsResult,
  wsErrorFrames,
  wsLogContext,
  wsParseFrame,
} from '../shared/ws-middleware.ts';

async function unmatched(event: WsEvent): Promise<WsResult> {
  const fields = event.frame?.fields ?? {};
  const action = fields.action;
  if (action === undefined || action === null) {
    throw new ChatError('BAD_REQUEST', 'The frame has no "action". Every frame needs one.');
  }
  if (typeof action !== 'string') throw new ChatError('BAD_REQUEST', '"action" must be a string.');
  throw new ChatError(
    'UNKNOWN_ACTION',
    `Unknown action "${action.slice(0, 64)}". Valid actions: ${ACTIONS.join(', ')}.`,
  );
}

export const handler = middy<WsEvent, WsResult, Error, Context>()
  .use(wsLogContext())
  .use(wsParseFrame())
  .use(wsErrorFrames())
  .handler(unmatched);
