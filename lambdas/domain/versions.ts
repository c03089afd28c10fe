/**
 * Changes under a chat version: every change (an edit, a deletion, a reaction, a membership change)
 * takes the chat's next version (`sequence.allocateVersion`), then is applied by a second write that
 * is sent before, and aborted at, the write deadline, so readers of the change feed can tell when
 * a version is settled (`timing.ts`). A version whose write did not land is simply never seen.
 */
import type { MessageChange } from '../data/messages.ts';
import type { MessageRecord } from '../data/store.ts';
import { isAborted } from '../data/table-client.ts';
import { conflict } from '../shared/errors.ts';
import { type Backoff, backOff } from '../shared/retry.ts';
import { chatNotFound } from './access.ts';
import type { Deps } from './deps.ts';
import { LIMITS } from './limits.ts';
import { signalAt, writeTiming } from './timing.ts';

export interface AllocatedVersion {
  readonly ver: number;
  /** Epoch ms when the allocation was answered (after it was applied): the change's `allocAt`. */
  readonly answeredAt: number;
  /** Aborts the change's write at its deadline. */
  readonly signal: AbortSignal;
  /** Whether the change's write may still be sent. */
  readonly open: () => boolean;
}

/**
 * A change the other member's block refuses (an edit or a reaction in a direct chat,
 * `refuseBlockedChange` in blocking.ts): who makes it, and the refusal to answer.
 */
export interface BlockGuard {
  readonly by: string;
  readonly refusal: () => Error;
  /**
   * The action's check read no block item, because the `META` it read mirrors the blocks: the
   * allocation then also requires the mirror, as a send's does (send-checks.ts).
   */
  readonly trustsMirror: boolean;
  /** Whether the other member has blocked `by`, from the block items (when the mirror is gone). */
  readonly blockedByReading: () => Promise<boolean>;
}

/** Between allocations while a transaction holds the chat head (it takes milliseconds), as a send's. */
const HELD_BACKOFF: Backoff = { baseMs: 5, capMs: 50 };

/**
 * Allocates the chat's next version (NOT_FOUND when the chat is gone). While a transaction holds
 * the chat head (a report's check of it, a membership change, a block), DynamoDB refuses the update
 * and writes nothing: it is sent again after a short backoff, as a send's allocation is (append.ts),
 * up to `LIMITS.sendAttempts` times, then answered CONFLICT ("busy": the client retries). `stop` aborts the allocation
 * and the change's write sooner than their own deadlines (a caller that must answer in time).
 * `guard`: the allocation also refuses a member the other has blocked (a block made since the
 * chat was read), with the guard's refusal. When the guard trusted the mirror and the chat has lost
 * it since (a repair after older code changed blocks without it), the block items are read and the
 * allocation made again without the mirror, as a send's is (append.ts).
 */
export async function allocateVersion(
  deps: Deps,
  chatId: string,
  stop?: AbortSignal,
  guard?: BlockGuard,
): Promise<AllocatedVersion> {
  const t = writeTiming();
  const until = (signal: AbortSignal) => (stop ? AbortSignal.any([signal, stop]) : signal);
  let trustsMirror = guard?.trustsMirror === true;
  let held = 0;
  for (;;) {
    const sentAt = deps.now().getTime();
    const allocated = await deps.store.sequence.allocateVersion(
      chatId,
      sentAt,
      { abortSignal: until(signalAt(sentAt + t.allocTimeoutMs, sentAt)) },
      guard?.by,
      trustsMirror,
    );
    if (allocated.status === 'unmirrored' && guard && trustsMirror) {
      trustsMirror = false;
      deps.store.heads.forget(chatId); // a send's cached head may say mirrored too
      if (await guard.blockedByReading()) throw guard.refusal();
      continue;
    }
    if (allocated.status === 'held') {
      if (++held >= LIMITS.sendAttempts) throw conflict('The chat is busy right now. Please retry.');
      await backOff(HELD_BACKOFF, held - 1); // nothing was written: allocate again once it is done
      continue;
    }
    if (allocated.status !== 'allocated') {
      throw allocated.status === 'blocked' && guard ? guard.refusal() : chatNotFound(chatId);
    }
    const deadline = sentAt + t.writeDeadlineMs;
    const answeredAt = deps.now().getTime();
    return {
      ver: allocated.ver,
      answeredAt,
      signal: until(signalAt(deadline, answeredAt)),
      open: () => deps.now().getTime() < deadline && !stop?.aborted,
    };
  }
}

export type ChangeResult =
  | { readonly status: 'applied'; readonly message: MessageRecord }
  /** A guard failed for good (deleted, not the author's, gone): the message as it is, if any. */
  | { readonly status: 'refused'; readonly current: MessageRecord | undefined };

/**
 * Applies a change to a message under a new version. When a newer change won the race, or the write
 * did not land by its deadline, it is tried again under a fresh version (bounded). `blockGuard` as
 * in `allocateVersion`.
 */
export async function changeMessage(
  deps: Deps,
  message: MessageRecord,
  change: Pick<MessageChange, 'set' | 'guard'>,
  blockGuard?: BlockGuard,
): Promise<ChangeResult> {
  let current = message;
  for (let attempt = 0; attempt < LIMITS.changeAttempts; attempt++) {
    const version = await allocateVersion(deps, message.chatId, undefined, blockGuard);
    if (!version.open()) continue;
    try {
      const outcome = await deps.store.messages.applyChange(
        current,
        {
          ...change,
          set: onTopOf(change.set, current, deps.now()),
          ver: version.ver,
          allocAt: version.answeredAt,
        },
        { abortSignal: version.signal },
      );
      if (outcome.status === 'applied') return outcome;
      if (!outcome.current || !onlyVersionRefused(outcome.current, current, change)) {
        return { status: 'refused', current: outcome.current };
      }
      current = outcome.current; // a newer change won: apply ours on top of it
    } catch (error) {
      if (!isAborted(error)) throw error;
      // Did it land before the deadline? Then it is done; otherwise its version is never seen.
      const now = await deps.store.messages.get(message.chatId, message.seq, { consistent: true });
      if (now?.ver === version.ver) return { status: 'applied', message: now };
      if (now) current = now;
    }
  }
  throw new Error(`could not apply a change to message ${message.messageId}`);
}

/**
 * An edit applied on top of a newer one (it lost the race and retries) is the newest: its `editedAt`
 * must not go back, since clients keep the update with the newest `editedAt` (protocol, Delivery and
 * catch-up). It becomes now, and at least a millisecond after the edit it lands on.
 */
function onTopOf(set: MessageChange['set'], current: MessageRecord, now: Date): MessageChange['set'] {
  const wanted = set.editedAt;
  const over = current.editedAt;
  if (typeof wanted !== 'string' || typeof over !== 'string' || wanted > over) return set;
  return { ...set, editedAt: new Date(Math.max(now.getTime(), Date.parse(over) + 1)).toISOString() };
}

/** The refused change failed only because the message had moved to a newer version. */
function onlyVersionRefused(
  found: MessageRecord,
  wanted: MessageRecord,
  change: Pick<MessageChange, 'guard'>,
): boolean {
  return (
    found.messageId === wanted.messageId &&
    !found.deleted &&
    (change.guard !== 'author' || found.senderId === wanted.senderId)
  );
}
