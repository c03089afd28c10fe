/** Connection lifecycle: what `$connect` and `$disconnect` mean for the domain. */
import { logger } from '../shared/logger.ts';
import type { Deps } from './deps.ts';
import { wentOffline, wentOnline } from './presence.ts';

export interface ConnectInput {
  readonly userId: string;
  readonly name: string;
  readonly connectionId: string;
  readonly connectedAt: Date;
}

/**
 * Stores the connection in the user's connection index, refreshes the profile and tells the
 * user's direct-chat peers when this is the user's first socket. Nothing is posted to the new
 * connection itself: on AWS it is not open until `$connect` returns.
 */
export async function openConnection(deps: Deps, input: ConnectInput): Promise<void> {
  const connectedAt = input.connectedAt.toISOString();
  await Promise.all([
    deps.store.putConnection({ userId: input.userId, connectionId: input.connectionId, connectedAt }),
    deps.store.touchProfile(input.userId, input.name, connectedAt),
  ]);
  await wentOnline(deps, input.userId, input.connectionId, connectedAt).catch((error: unknown) => {
    logger.warn('presence announcement failed', { error });
  });
}

/** Removes the connection; when it was the user's last, records last-seen and tells their peers. */
export async function closeConnection(deps: Deps, userId: string, connectionId: string): Promise<void> {
  await deps.store.deleteConnection(userId, connectionId);
  await wentOffline(deps, userId).catch((error: unknown) => {
    logger.warn('presence announcement failed', { error });
  });
}
