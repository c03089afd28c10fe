/** `$connect`: the authorizer has verified the token; store the connection. */
import { openConnection } from '../domain/connections.ts';
import { deps } from '../domain/deps.ts';
import { logger } from '../shared/logger.ts';
import { wsLifecycle } from '../shared/ws-middleware.ts';

export const handler = wsLifecycle(async (caller, event) => {
  const rc = event.requestContext;
  await openConnection(deps(), caller, {
    connectionId: rc.connectionId,
    connectedAt: new Date(rc.connectedAt ?? Date.now()),
  });
  logger.info('connected', { userId: caller.userId });
});
