/**
 * Whether a stored socket is still open, as the socket cap's recount and presence's re-read after an
 * offline announcement see it (presence.ts). A socket stored in the last minute may still be inside its
 * `$connect`: the gateway does not know it yet (GetConnection answers 410), so asking would wrongly
 * remove its record. It counts as open without asking; older ones are asked of the gateway (a gone one
 * has its record removed, and its socket slot given back, by the fan-out's `isOpen`). A presence
 * recheck and `$disconnect`'s going-offline decision ask about the young ones too (`askSocket`), and
 * tell their 410 apart from a gone socket's.
 */
import type { OpenConnection } from '../data/connections.ts';
import { CONNECTION_TTL_SECONDS, HANDSHAKE_SECONDS } from '../data/items.ts';
import type { Deps } from './deps.ts';

/** How long a `$connect` may take: the same bound as the fan-out's (`HANDSHAKE_SECONDS`). */
export const CONNECTING_SECONDS = HANDSHAKE_SECONDS;

/** When a stored socket is past its `$connect` (epoch seconds): from then on a 410 means it is gone. */
export const settledAt = (socket: OpenConnection): number =>
  socket.expiresAt - CONNECTION_TTL_SECONDS + CONNECTING_SECONDS;

export function isSocketOpen(deps: Deps, userId: string, socket: OpenConnection): Promise<boolean> {
  if (settledAt(socket) > deps.now().getTime() / 1000) return Promise.resolve(true);
  return deps.fanOut.isOpen({ userId, connectionId: socket.connectionId });
}

/**
 * A stored socket asked of the gateway (GetConnection), however young: `open`; `gone` (410, and past
 * its `$connect`: its record is removed by the fan-out's `isOpen`); or `connecting`: 410 while still
 * young enough to be inside its `$connect`. The gateway answers 410 alike for a socket whose
 * `$connect` is still running (it opens in a moment) and for one whose `$connect` failed after
 * storing it (it never opens, and no `$disconnect` comes): its record is kept, and only a question
 * asked once it is settled (`settledAt`) tells the two apart.
 */
export async function askSocket(
  deps: Deps,
  userId: string,
  socket: OpenConnection,
): Promise<'open' | 'gone' | 'connecting'> {
  if (await deps.fanOut.isOpen({ userId, connectionId: socket.connectionId })) return 'open';
  return settledAt(socket) > deps.now().getTime() / 1000 ? 'connecting' : 'gone';
}
