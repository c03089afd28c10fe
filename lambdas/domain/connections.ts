/** Connection lifecycle: what `$connect` and `$disconnect` mean for the domain. */

import type { Caller } from '../shared/caller.ts';
import { logger } from '../shared/logger.ts';
import type { Deps } from './deps.ts';
import { wentOffline, wentOnline } from './presence.ts';

export interface ConnectionInput {
  readonly connectionId: string;
}

export interface OpenConnectionInput extends ConnectionInput {
  readonly connectedAt: Date;
}

const presenceFailed = (error: unknown) => logger.warn('presence announcement failed', { error });

/**
 * Stores the connection in the user's connection index, refreshes the profile and tells the
 * user's direct-chat peers when this is the user's first socket. Nothing is posted to the new
 * connection itself: on AWS it is not open until `$connect` returns.
 */
export async function openConnection(deps: Deps, caller: Caller, input: OpenConnectionInput): Promise<void> {
  const connectedAt = input.connectedAt.toISOString();
  const { userId } = caller;
  await Promise.all([
    deps.store.connections.put({ userId, connectionId: input.connectionId, connectedAt }),
    deps.store.profiles.touch(userId, caller.name, connectedAt),
  ]);
  await wentOnline(deps, { userId, connectionId: input.connectionId, at: connectedAt }).catch(presenceFailed);
}

/** Removes the connection; when it was the user's last, records last-seen and tells their peers. */
export async function closeConnection(deps: Deps, caller: Caller, input: ConnectionInput): Promise<void> {
  await deps.store.connections.delete(caller.userId, input.connectionId);
  await wentOffline(deps, caller.userId).catch(presenceFailed);
}
