/**
 * `react`: one emoji of the caller's, added to or removed from a message. Adding one the caller has,
 * or removing one they do not, changes nothing and acks. A change takes the chat's next version and
 * is written with the message's new summary in one transaction guarded on the message's version
 * (lambdas/data/reactions.ts); when a parallel reaction (or edit) won, the summary is computed again
 * from the message as it now is. The cost is O(1) in the reactions already on the message: two key
 * lookups, one version allocation and one two-item transaction, on a summary of bounded size.
 */
import type { MessageRecord, StoredReaction } from '../data/store.ts';
import { REACTION_USERS_LISTED } from '../data/store.ts';
import { isAborted } from '../data/table-client.ts';
import type { Caller } from '../shared/caller.ts';
import { badRequest, notFound } from '../shared/errors.ts';
import { event } from '../shared/frames.ts';
import { type Backoff, backOff } from '../shared/retry.ts';
import { userIdsOf } from './access.ts';
import type { Deps } from './deps.ts';
import { LIMITS } from './limits.ts';
import { messageViews } from './media.ts';
import { loadMessage, type MessageRef } from './messages.ts';
import { type AllocatedVersion, allocateVersion } from './versions.ts';
import type { MessageView } from './views.ts';

export interface ReactInput extends MessageRef {
  readonly emoji: string;
  readonly remove: boolean;
}

/**
 * Attempts before giving up: each lost race means another reaction (or edit) landed, so a burst of
 * N parallel reactions on one message needs at most N rounds for the last of them.
 */
const REACT_ATTEMPTS = 40;
/** Short, jittered pauses after a lost race, so that a burst does not retry in lockstep. */
const LOST_RACE_BACKOFF: Backoff = { baseMs: 20, capMs: 1000 };
const MAX_DISTINCT = LIMITS.reactionsMaxDistinct;

const deletedMessage = (messageId: string) => notFound(`Message "${messageId}" was not found.`);

/** The summary with the caller's emoji added (newest first) or removed; counts stay exact. */
export function summaryAfter(
  summary: readonly StoredReaction[],
  change: { readonly emoji: string; readonly userId: string; readonly remove: boolean },
): StoredReaction[] {
  const index = summary.findIndex((r) => r.emoji === change.emoji);
  const current = summary[index];
  const others = (r: StoredReaction) => ({ ...r, userIds: r.userIds.filter((id) => id !== change.userId) });
  if (change.remove) {
    if (!current) return [...summary];
    if (current.count <= 1) return summary.filter((_, i) => i !== index);
    const next = { ...others(current), count: current.count - 1 };
    return summary.map((r, i) => (i === index ? next : r));
  }
  const userIds = [change.userId, ...(current?.userIds ?? []).filter((id) => id !== change.userId)];
  const next = {
    emoji: change.emoji,
    count: (current?.count ?? 0) + 1,
    userIds: userIds.slice(0, REACTION_USERS_LISTED),
  };
  return current ? summary.map((r, i) => (i === index ? next : r)) : [...summary, next];
}

export async function react(
  deps: Deps,
  caller: Caller,
  input: ReactInput,
): Promise<{ message: MessageView }> {
  const { chat, members, message } = await loadMessage(deps, caller, input);
  const ref = { chatId: input.chatId, seq: message.seq, userId: caller.userId, emoji: input.emoji };
  const announce = async (changed: MessageRecord): Promise<MessageView> => {
    const shown = await view(deps, changed);
    const { chatId, messageId, seq, ver } = changed;
    await deps.fanOut.toUsers(
      userIdsOf(members),
      event('message.reacted', {
        chatId,
        messageId,
        seq,
        ver,
        userId: caller.userId,
        emoji: input.emoji,
        removed: input.remove,
        reactions: shown.reactions,
      }),
      { chat },
    );
    return shown;
  };
  let current: MessageRecord | undefined = message;
  let version: AllocatedVersion | undefined;
  let lookUp = true;
  for (let attempt = 0; attempt < REACT_ATTEMPTS; attempt++) {
    if (!current || current.deleted) throw deletedMessage(input.messageId);
    if (lookUp) {
      const has = await deps.store.reactions.has(ref);
      if (has !== input.remove) return { message: await view(deps, current) }; // nothing to change
      lookUp = false;
    }
    const summary = current.reactions ?? [];
    if (!input.remove && !summary.some((r) => r.emoji === input.emoji) && summary.length >= MAX_DISTINCT) {
      throw badRequest(
        `"emoji": this message already has ${MAX_DISTINCT} different emoji; add one of those instead.`,
      );
    }
    // A version allocated for an attempt that lost a race serves the next one while it is newer
    // than the message and its write deadline has not passed: fewer allocations under a burst.
    if (!version?.open() || version.ver <= current.ver) version = await allocateVersion(deps, input.chatId);
    if (!version.open() || version.ver <= current.ver) continue;
    try {
      const outcome = await deps.store.reactions.apply(
        current,
        {
          userId: caller.userId,
          emoji: input.emoji,
          remove: input.remove,
          ver: version.ver,
          allocAt: version.answeredAt,
          reactions: summaryAfter(summary, { ...input, userId: caller.userId }),
          at: deps.now().toISOString(),
        },
        { abortSignal: version.signal },
      );
      if (outcome.status === 'applied') return { message: await announce(outcome.message) };
      if (outcome.status === 'moved') current = outcome.current;
      else {
        // `raced`: another socket of the caller's changed the same emoji. Its change is what the
        // caller's item now says; the message is read again, so an answer shows it.
        lookUp = true;
        current = await deps.store.messages.get(input.chatId, message.seq, { consistent: true });
      }
      await backOff(LOST_RACE_BACKOFF, attempt);
    } catch (error) {
      if (!isAborted(error)) throw error;
      // Did it land before the deadline? The caller's item tells (the message may have moved on
      // since); otherwise its version is never seen and the next attempt takes another.
      version = undefined;
      current = await deps.store.messages.get(input.chatId, message.seq, { consistent: true });
      const landed = (await deps.store.reactions.has(ref)) !== input.remove;
      if (landed && current && !current.deleted) return { message: await announce(current) };
    }
  }
  throw new Error(`could not apply a reaction to message ${input.messageId}`);
}

async function view(deps: Deps, message: MessageRecord): Promise<MessageView> {
  const [shown] = (await messageViews(deps, [message])) as [MessageView];
  return shown;
}
