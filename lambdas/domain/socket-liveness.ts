/**
 * Whether a stored socket is still open, as the socket cap's recount and presence's going-offline
 * check see it (presence.ts). A socket stored in the last minute may still be inside its
 * `$connect`: the gateway does not know it yet (GetConnection answers 410), so asking would wrongly
 * remove its record. It counts as open without asking; older ones are asked of the gateway (a gone one
 * has its record removed, and its socket slot given back, by the fan-out's `isOpen`).
 */
import type { OpenConnection } from '../data/connections.ts';
import { CONNECTION_TTL_SECONDS, HANDSHAKE_SECONDS } from '../data/items.ts';
import type { Deps } from './deps.ts';

/** How long a `$connect` may take: the same bound as the fan-out's (`HANDSHAKE_SECONDS`). */
export const CONNECTING_SECONDS = HANDSHAKE_SECONDS;

export function isSocketOpen(deps: Deps, userId: string, socket: OpenConnection): Promise<boolean> {
  const connectedAt = socket.expiresAt - CONNECTION_TTL_SECONDS;
  if (connectedAt > deps.now().getTime() / 1000 - CONNECTING_SECONDS) return Promise.resolve(true);
  return deps.fanOut.isOpen({ userId, connectionId: socket.connectionId });
}
