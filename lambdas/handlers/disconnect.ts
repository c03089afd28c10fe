/** `$disconnect`: runs when either side closes; removes the connection. */
import { closeConnection } from '../domain/connections.ts';
import { deps } from '../domain/deps.ts';
import { logger } from '../shared/logger.ts';
import { wsLifecycle } from '../shared/ws-middleware.ts';

export const handler = wsLifecycle(async (caller, event) => {
  await closeConnection(deps(), caller, { connectionId: event.requestContext.connectionId });
  logger.info('disconnected', { userId: caller.userId });
});
