/** `$connect`: the authorizer has verified the token; store the connection. */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { openConnection } from '../domain/connections.ts';
import { deps } from '../domain/deps.ts';
import { logger } from '../shared/logger.ts';
import { identityOf, type WsEvent, type WsResult, wsLogContext } from '../shared/ws-middleware.ts';

async function connect(event: WsEvent): Promise<WsResult> {
  const user = identityOf(event);
  const rc = event.requestContext;
  await openConnection(deps(), user, {
    connectionId: rc.connectionId,
    connectedAt: new Date(rc.connectedAt ?? Date.now()),
  });
  logger.info('connected', { userId: user.userId });
  return { statusCode: 200 };
}

export const handler = middy<WsEvent, WsResult, Error, Context>().use(wsLogContext()).handler(connect);
