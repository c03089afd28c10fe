/** muteChat: no pushes for one chat until a time, forever, or again (unmute). */
import type { Request } from '../contract/index.ts';
import type { Caller } from '../shared/caller.ts';
import { badRequest } from '../shared/errors.ts';
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

export async function muteChat(
  deps: Deps,
  caller: Caller,
  input: Request<'muteChat'>,
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
  return { chatId: input.chatId, mutedUntil };
}
