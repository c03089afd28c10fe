/**
 * muteChat: no pushes for one chat until a time, forever, or again (unmute). The caller's other
 * sockets hear of it (`chat.muted`), as their other devices show it at once.
 */
import type { Request } from '../contract/index.ts';
import type { Caller } from '../shared/caller.ts';
import { badRequest } from '../shared/errors.ts';
import { event } from '../shared/frames.ts';
import { chatNotFound, loadMembership } from './access.ts';
import type { Deps } from './deps.ts';

/** What "muted forever" is stored and shown as (`mutedUntil`). */
export const MUTED_FOREVER = '9999-12-31T23:59:59.999Z';

/** Whether a mute (a member's `mutedUntil`) is in force at `now`. */
export function isMuted(mutedUntil: string | null | undefined, now: Date): boolean {
  return typeof mutedUntil === 'string' && Date.parse(mutedUntil) > now.getTime();
}

/** A member's mute as clients see it: the time while it is in force, null once it has passed. */
export function activeMute(mutedUntil: string | null | undefined, now: Date): string | null {
  return isMuted(mutedUntil, now) ? (mutedUntil as string) : null;
}

/** A mute as the domain takes it: the frame's fields and the socket it came from. */
export interface MuteChatInput extends Request<'muteChat'> {
  /** The caller's socket: it gets the ack, so it is left out of `chat.muted`. */
  readonly connectionId: string;
}

export async function muteChat(
  deps: Deps,
  caller: Caller,
  input: MuteChatInput,
): Promise<{ chatId: string; mutedUntil: string | null }> {
  let mutedUntil: string | null;
  if (input.until === undefined) mutedUntil = MUTED_FOREVER;
  else if (input.until === null) mutedUntil = null;
  else {
    const until = new Date(input.until);
    if (until.getTime() <= deps.now().getTime()) {
      throw badRequest('"until" must be in the future (omit it to mute for ever, or send null to unmute).');
    }
    mutedUntil = until.toISOString();
  }
  // A chat marked for deletion is gone (NOT_FOUND, nothing written), as for every chat action; the
  // write's own guard (the membership exists) covers a member removed since.
  await loadMembership(deps, caller, input.chatId);
  if ((await deps.store.mutes.set(input.chatId, caller.userId, mutedUntil)) === 'not-member') {
    throw chatNotFound(input.chatId);
  }
  // Stored first, then told: a device that reconnects meanwhile reads it from listChats. Nothing
  // orders this event against a later mute's ack or listing (a mute has no version): see
  // docs/protocol.md, muteChat.
  const muted = { chatId: input.chatId, mutedUntil };
  await deps.fanOut.toUsers([caller.userId], event('chat.muted', muted), {
    excludeConnectionId: input.connectionId,
  });
  return muted;
}
