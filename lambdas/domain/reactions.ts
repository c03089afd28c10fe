/**
 * `react`: one emoji of the caller's, added to or removed from a message. Adding one the caller has,
 * or removing one they do not, changes nothing and acks. A change takes the chat's next version and
 * is written with the message's new summary in one transaction guarded on the message's version
 * (lambdas/data/reactions.ts); when a parallel reaction (or edit) won, the summary is computed again
 * from the message as it now is. The cost is O(1) in the reactions already on the message: two key
 * lookups, one version allocation and one two-item transaction, on a summary of bounded size. In a
 * direct chat whose other member blocked the caller it is FORBIDDEN, as a send is (blocking.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReactionRef } from '../data/items.ts';
import type { MessageRecord, StoredReaction } from '../data/store.ts';
import { REACTION_USERS_LISTED } from '../data/store.ts';
import { isAborted } from '../data/table-client.ts';
import { currentBudget } from '../shared/budget.ts';
import type { Caller } from '../shared/caller.ts';
import { badRequest, conflict, notFound } from '../shared/errors.ts';
import { event } from '../shared/frames.ts';
import { type Backoff, backOff } from '../shared/retry.ts';
import { userIdsOf } from './access.ts';
import { refuseBlockedChange } from './blocking.ts';
import type { Deps } from './deps.ts';
import { LIMITS } from './limits.ts';
import { messageViews } from './media.ts';
import { loadMessage, type MessageRef } from './messages.ts';
import { signalAt } from './timing.ts';
import { type AllocatedVersion, allocateVersion } from './versions.ts';
import type { MessageView } from './views.ts';

export interface ReactInput extends MessageRef {
  readonly emoji: string;
  readonly remove: boolean;
}

/**
 * How long `react` keeps starting attempts, from its start: well inside the route's timeout (10 s,
 * `ROUTE_TIMEOUT_SECONDS`), where a request still running answers INTERNAL whatever it wrote.
 */
const REACT_TRY_MS = 5000;
/** No attempt starts with less than this left of the invocation. */
const ATTEMPT_RESERVE_MS = 4500;
/** A write (or allocation) still in flight with this much left is abandoned. */
const WRITE_RESERVE_MS = 3000;
/** Waiting to learn whether an abandoned write landed ends with this much left (the answer, fan-out). */
const DECIDE_RESERVE_MS = 1000;
const DECIDE_POLL_MS = 50;
/**
 * Attempts at most, beside the time: each lost race means another reaction (or edit) landed, so a
 * burst of N parallel reactions on one message needs at most N rounds for the last of them.
 */
const REACT_ATTEMPTS = 100;
/**
 * Short, jittered pauses after a lost race, so that a burst does not retry in lockstep; short, since
 * the loser already has the message as it now is (the refused write returned it).
 */
const LOST_RACE_BACKOFF: Backoff = { baseMs: 10, capMs: 100 };
const MAX_DISTINCT = LIMITS.reactionsMaxDistinct;

const deletedMessage = (messageId: string) => notFound(`Message "${messageId}" was not found.`);
const busy = (input: ReactInput) =>
  conflict(
    `"emoji": message "${input.messageId}" is taking many reactions at once; yours was not ${
      input.remove ? 'removed' : 'added'
    }. Please retry.`,
  );

interface Bounds {
  /** No attempt starts from then on (deps' clock). */
  readonly tryUntil: number;
  /** Abandons an allocation or write still in flight near the invocation's end. */
  readonly stop?: AbortSignal;
  /** Epoch ms (`Date.now`) when waiting to learn whether an abandoned write landed ends. */
  readonly decideUntil: number;
}

/** The time `react` has: `REACT_TRY_MS`, less when the invocation (if any) has less left. */
function boundsOf(deps: Deps): Bounds {
  const attempts = currentBudget(ATTEMPT_RESERVE_MS);
  const writes = currentBudget(WRITE_RESERVE_MS);
  const decide = currentBudget(DECIDE_RESERVE_MS);
  const left = attempts ? attempts.until - attempts.now() : Number.POSITIVE_INFINITY;
  return {
    tryUntil: deps.now().getTime() + Math.min(REACT_TRY_MS, left),
    ...(writes ? { stop: signalAt(writes.until, writes.now()) } : {}),
    decideUntil: decide ? decide.until : Date.now() + REACT_TRY_MS,
  };
}

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
  const blockGuard = await refuseBlockedChange(deps, caller, { chat, members }, 'react');
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
  const bounds = boundsOf(deps);
  let current: MessageRecord | undefined = message;
  let version: AllocatedVersion | undefined;
  let lookUp = true;
  // The version the newest abandoned write (aborted in flight) was guarded on: it may still land
  // while the message is at that version.
  let abandoned: number | undefined;
  for (let attempt = 0; ; attempt++) {
    if (!current || current.deleted) throw deletedMessage(input.messageId);
    if (lookUp) {
      const has = await deps.store.reactions.has(ref);
      // Nothing to change; or a write of ours abandoned in flight landed after all: announced, as
      // it left the message (which was read before the item, perhaps before it landed).
      if (has !== input.remove) {
        if (abandoned === undefined) return { message: await view(deps, current) };
        const landed = await asLanded(deps, current, abandoned);
        if (!landed) throw deletedMessage(input.messageId);
        return { message: await announce(landed) };
      }
      lookUp = false;
    }
    const summary = current.reactions ?? [];
    if (!input.remove && !summary.some((r) => r.emoji === input.emoji) && summary.length >= MAX_DISTINCT) {
      throw badRequest(
        `"emoji": this message already has ${MAX_DISTINCT} different emoji; add one of those instead.`,
      );
    }
    if (attempt >= REACT_ATTEMPTS || deps.now().getTime() >= bounds.tryUntil || bounds.stop?.aborted) {
      // Out of time: every attempt was refused or did not land. CONFLICT, once none can still land.
      if (abandoned !== undefined) {
        const landed = await settleAbandoned(deps, { ref, input, abandoned, bounds });
        if (landed) return { message: await announce(landed) };
      }
      throw busy(input);
    }
    const seen: MessageRecord = current;
    let sent = false;
    try {
      // A version allocated for an attempt that lost a race serves the next one while it is newer
      // than the message and its write deadline has not passed: fewer allocations under a burst.
      if (!version?.open() || version.ver <= seen.ver) {
        version = await allocateVersion(deps, input.chatId, bounds.stop, blockGuard);
      }
      if (!version.open() || version.ver <= seen.ver) continue;
      sent = true;
      const outcome = await deps.store.reactions.apply(
        seen,
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
      // An abandoned allocation only leaves a version that is never seen. An abandoned write may
      // have landed, or may still (while the message is at `seen.ver`): the caller's item tells.
      version = undefined;
      if (!sent) continue;
      abandoned = seen.ver;
      // The message first, then (the loop's look-up) the caller's item, which announces it if so.
      current = await deps.store.messages.get(input.chatId, message.seq, { consistent: true });
      lookUp = true;
    }
  }
}

/**
 * Waits (within the invocation) until an abandoned write of the caller's cannot land any more: the
 * message moved past the version it was guarded on, or is gone. Answers the message when the write
 * landed; undefined when it did not. Still undecided at the end is an error (INTERNAL): never a
 * CONFLICT for a reaction that may yet be stored.
 */
async function settleAbandoned(
  deps: Deps,
  {
    ref,
    input,
    abandoned,
    bounds,
  }: { ref: ReactionRef; input: ReactInput; abandoned: number; bounds: Bounds },
): Promise<MessageRecord | undefined> {
  for (;;) {
    // The message first, then the caller's item: a write that lands in between shows in the item.
    const now = await deps.store.messages.get(input.chatId, ref.seq, { consistent: true });
    const landed = (await deps.store.reactions.has(ref)) !== input.remove;
    if (landed && now && !now.deleted) {
      const left = await asLanded(deps, now, abandoned);
      if (!left) throw deletedMessage(input.messageId); // deleted since it landed
      return left;
    }
    if (!now || now.deleted || now.ver > abandoned) return undefined;
    if (Date.now() + DECIDE_POLL_MS >= bounds.decideUntil) {
      throw new Error(`a reaction write on message ${input.messageId} is still undecided`);
    }
    await sleep(DECIDE_POLL_MS);
  }
}

/**
 * The message as the caller's abandoned write, which landed, left it. `read` was read before the
 * caller's item showed the write: when it is still at the version the write was guarded on, the
 * write landed after it, and the message is read again (consistently). Past that version it
 * carries the write (the write could not land once the message had moved past it). Undefined when
 * the message is gone since.
 */
async function asLanded(
  deps: Deps,
  read: MessageRecord,
  abandoned: number,
): Promise<MessageRecord | undefined> {
  if (read.ver > abandoned) return read;
  const again = await deps.store.messages.get(read.chatId, read.seq, { consistent: true });
  return again && !again.deleted ? again : undefined;
}

async function view(deps: Deps, message: MessageRecord): Promise<MessageView> {
  const [shown] = (await messageViews(deps, [message])) as [MessageView];
  return shown;
}
