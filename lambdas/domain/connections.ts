/** Connection lifecycle: what `$connect` and `$disconnect` mean for the domain. */

import type { Caller } from '../shared/caller.ts';
import { logger } from '../shared/logger.ts';
import type { Deps } from './deps.ts';
import { wentOffline, wentOnline } from './presence.ts';
import { joinRosters, leaveRosters } from './rosters.ts';

export interface ConnectionInput {
  readonly connectionId: string;
}

export interface OpenConnectionInput extends ConnectionInput {
  readonly connectedAt: Date;
}

const presenceFailed = (error: unknown) => logger.warn('presence announcement failed', { error });

/**
 * Stores the connection in the user's connection index, refreshes the profile, lists the socket in
 * the roster of each of the user's groups and tells the user's direct-chat peers when this is the
 * user's first socket. Nothing is posted to the new connection itself: on AWS it is not open until
 * `$connect` returns. The rosters are written before that, so a group event stored after this
 * socket opened is posted to it, and one stored before is in its catch-up. A failure to write them
 * refuses the connection (the client connects again) rather than leave a socket that group events
 * would miss.
 */
export async function openConnection(deps: Deps, caller: Caller, input: OpenConnectionInput): Promise<void> {
  const connectedAt = input.connectedAt.toISOString();
  const { userId } = caller;
  const socket = { userId, connectionId: input.connectionId, connectedAt };
  await Promise.all([
    deps.store.connections.put(socket),
    deps.store.profiles.touch(userId, caller.name, connectedAt),
  ]);
  const { memberships, listed } = await joinRosters(deps, socket);
  await Promise.all([
    listed,
    wentOnline(deps, { userId, connectionId: input.connectionId, at: connectedAt }, memberships).catch(
      presenceFailed,
    ),
  ]);
}

/**
 * Removes the connection and its roster entries; when it was the user's last, records last-seen
 * and tells their peers. An entry left behind (a group joined meanwhile) is dropped by the first
 * post that finds the socket gone, or by TTL.
 */
export async function closeConnection(deps: Deps, caller: Caller, input: ConnectionInput): Promise<void> {
  const { userId } = caller;
  await deps.store.connections.delete(userId, input.connectionId);
  const memberships = await deps.store.chats.listMemberships(userId);
  await Promise.all([
    leaveRosters(deps, { userId, connectionId: input.connectionId }, memberships).catch((error: unknown) =>
      logger.warn('could not remove the socket from its rosters', { error }),
    ),
    wentOffline(deps, userId, memberships).catch(presenceFailed),
  ]);
}
