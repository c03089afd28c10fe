/** `$connect`: the authorizer has verified the token; store the connection. */
import { openConnection } from '../domain/connections.ts';
import { deps } from '../domain/deps.ts';
import { logger } from '../shared/logger.ts';
import { countMetric } from '../shared/metrics.ts';
import { takeRateLimit } from '../shared/rate-limiter.ts';
import { wsLifecycle } from '../shared/ws-middleware.ts';

export const handler = wsLifecycle(async (caller, event) => {
  const rc = event.requestContext;
  if (!(await takeRateLimit(caller.userId, '$connect')).allowed) {
    // Per-user handshake rate (issue 17), also spent for a minute by a flooding socket's close
    // (flood-guard.ts): refused like the socket cap, before anything is stored.
    logger.info('refused: too many handshakes', { userId: caller.userId });
    return { statusCode: 429 };
  }
  const outcome = await openConnection(deps(), caller, {
    connectionId: rc.connectionId,
    connectedAt: new Date(rc.connectedAt ?? Date.now()),
  });
  if (outcome === 'too-many-sockets') {
    // API Gateway refuses the handshake with this status; nothing was stored (issue 17 socket cap).
    logger.info('refused: too many sockets', { userId: caller.userId });
    return { statusCode: 429 };
  }
  if (outcome === 'deactivated') {
    // An administrator's `deactivateUser`: refused as a bad token is (401), nothing stored; counted.
    logger.info('refused: the user is deactivated', { userId: caller.userId });
    countMetric('DeactivatedRefused');
    return { statusCode: 401 };
  }
  logger.info('connected', { userId: caller.userId });
  return undefined;
});
