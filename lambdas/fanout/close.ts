/**
 * Closing one socket (Management API DeleteConnection; its `$disconnect` then cleans up as for any
 * close), for `deactivateUser` (lambdas/domain/deactivation.ts). The Management API client makes
 * one attempt per call (lambdas/shared/clients.ts), so a throttled (429, LimitExceededException),
 * 5xx or network failure is retried here a few times with a short backoff. A socket gone already
 * (410) is forgotten as a post that finds it gone forgets it (directory.ts `gone`: its connection
 * record and socket slot), unless it is still inside its `$connect`.
 */
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DeleteConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { logger } from '../shared/logger.ts';
import { type Backoff, backOff } from '../shared/retry.ts';
import { isGone, retryKind, statusOf, type Target } from './delivery.ts';
import type { SocketDirectory } from './directory.ts';

/**
 * - `closed`: this call closed it;
 * - `gone`: it was closed already (410), and its record is forgotten;
 * - `connecting`: 410, but stored too recently to be gone (still in its `$connect`): kept, and
 *   it may yet open;
 * - `failed`: still failing after the retries, or not retryable (logged).
 */
export type CloseOutcome = 'closed' | 'gone' | 'connecting' | 'failed';

export const CLOSE_ATTEMPTS = 3;
export const CLOSE_BACKOFF: Backoff = { baseMs: 50, capMs: 400 };

export async function closeSocket(
  client: ApiGatewayManagementApiClient,
  directory: SocketDirectory,
  target: Target,
  attempts: number = CLOSE_ATTEMPTS,
): Promise<CloseOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(new DeleteConnectionCommand({ ConnectionId: target.connectionId }));
      return 'closed';
    } catch (error) {
      if (isGone(error)) return (await forget(directory, target)) ? 'gone' : 'connecting';
      if (attempt >= attempts || !retryKind(error)) {
        logger.error('closing a socket failed', {
          targetConnectionId: target.connectionId,
          status: statusOf(error),
          attempts: attempt,
          error,
        });
        return 'failed';
      }
      await backOff(CLOSE_BACKOFF, attempt);
    }
  }
}

/** Forgets a gone socket; whether it is gone for good (a failure to forget it is logged: its TTL ends it). */
async function forget(directory: SocketDirectory, target: Target): Promise<boolean> {
  try {
    return await directory.gone(target, undefined);
  } catch (error) {
    logger.warn('a closed socket: could not forget its record', {
      targetConnectionId: target.connectionId,
      error,
    });
    return true;
  }
}
