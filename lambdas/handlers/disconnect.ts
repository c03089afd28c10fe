/** `$disconnect`: runs when either side closes; removes the connection. */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { closeConnection } from '../domain/connections.ts';
import { deps } from '../domain/deps.ts';
import { logger } from '../shared/logger.ts';
import { identityOf, type WsEvent, type WsResult, wsLogContext } from '../shared/ws-middleware.ts';

async function disconnect(event: WsEvent): Promise<WsResult> {
  const user = identityOf(event);
  await closeConnection(deps(), user, { connectionId: event.requestContext.connectionId });
  logger.info('disconnected', { userId: user.userId });
  return { statusCode: 200 };
}

export const handler = middy<WsEvent, WsResult, Error, Context>().use(wsLogContext()).handler(disconnect);
