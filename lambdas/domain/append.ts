/**
 * Appending a message: allocate the next seq (one atomic update of the chat head, guarded by the
 * members' version the sender knows), then store the message at that seq (a conditional put).
 * A put that cannot land by its deadline is never sent (or is aborted), and its seq is filled with a
 * void; a seq a reader filled first is simply given up. Then the next seq is allocated.
 *
 * `unknown` failures (the put's fate could not be settled) leave any claim in place: only a send
 * that knows nothing of it landed may release its claim (`StoredNothing`).
 *
 * `beside` (the fan-out's socket lookup) starts once an allocation is answered, while its put is
 * in flight, and is started again for each later allocation: the one returned began after the
 * allocation of the message it comes with was applied (what makes looking sockets up beside the
 * put safe: `send.ts`).
 */
import type { ChatHead, MessageRecord, StoredAttachment } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { conflict, isChatFull } from '../shared/errors.ts';
import { logger } from '../shared/logger.ts';
import { type Backoff, backOff } from '../shared/retry.ts';
import { chatNotFound } from './access.ts';
import { blockedSend, refuseBlockedSend } from './blocking.ts';
import { noteChatSize } from './chat-size.ts';
import type { HeldClaim } from './client-ids.ts';
import type { Deps } from './deps.ts';
import { refreshedHead } from './heads.ts';
import { newMessageId } from './ids.ts';
import { LIMITS } from './limits.ts';
import { signalAt, writeTiming } from './timing.ts';
import { fillVoid } from './voids.ts';

export interface AppendInput {
  readonly chatId: string;
  readonly text: string;
  readonly replyTo: string | null;
  readonly clientMessageId: string | null;
  /** The uploads the send claimed (`claimUploads` in ./media.ts), stored on the message. */
  readonly attachments?: StoredAttachment[] | undefined;
  /**
   * The send's checks read no block item, trusting the head's mirror (`blockLeftToAllocation` in
   * send-checks.ts): the allocation requires the mirror, and reads the block item when it is gone.
   */
  readonly trustsMirror?: boolean | undefined;
  /** False: the sender's read cursor stays where it is (a scheduled message: `sender-cursor.ts`). */
  readonly movesReadCursor?: boolean | undefined;
}

export interface Appended<T = undefined> {
  readonly message: MessageRecord;
  /** The head the seq was allocated against: its members are the chat's members at that moment. */
  readonly head: ChatHead;
  /** What `beside` started after this message's allocation (it may still be running, or rejected). */
  readonly beside: Promise<T>;
}

/** Work to run beside the put, given the head the seq was allocated against. */
export type Beside<T> = (head: ChatHead) => Promise<T>;

/** A failure after which none of this send's writes can land (its claim may be released). */
export class StoredNothing extends Error {
  constructor(readonly reason: unknown) {
    super('the send stored nothing');
  }
}

const isoOf = (ms: number) => new Date(ms).toISOString();
/** Between allocations while a transaction holds the chat head (it takes milliseconds). */
const HELD_BACKOFF: Backoff = { baseMs: 5, capMs: 50 };

export async function appendMessage<T = undefined>(
  deps: Deps,
  caller: Caller,
  input: AppendInput,
  initialHead: ChatHead,
  claim: HeldClaim | undefined,
  beside: Beside<T> = async () => undefined as T,
): Promise<Appended<T>> {
  const t = writeTiming();
  const { sequence, messages, heads } = deps.store;
  // Every write of this send lands before `claimEnd` (what makes a claim's staleness conclusive);
  // a send without a claim keeps the same bound on its time.
  const claimEnd = (claim?.claimedAt ?? deps.now().getTime()) + t.claimDeadlineMs;
  let head = initialHead;
  let trustsMirror = input.trustsMirror === true;
  for (let attempt = 0; attempt < LIMITS.sendAttempts; attempt++) {
    const sentAt = deps.now().getTime();
    if (sentAt >= claimEnd) break;
    const allocation = await sequence
      .allocate(
        input.chatId,
        {
          memberVer: head.chat.memberVer,
          sentAt,
          at: isoOf(sentAt),
          sentBy: head.chat.kind === 'direct' ? caller.userId : undefined,
          ...(input.movesReadCursor === false ? { keepsReadCursor: true } : {}),
          trustsMirror,
        },
        { abortSignal: signalAt(sentAt + t.allocTimeoutMs, sentAt) },
      )
      .catch((error: unknown) => {
        // Not answered: it may have been applied, but no put of ours will follow it.
        throw new StoredNothing(error);
      });
    if (allocation.status === 'chat-gone') throw new StoredNothing(chatNotFound(input.chatId));
    if (allocation.status === 'blocked') throw new StoredNothing(blockedSend());
    if (allocation.status === 'held') {
      await backOff(HELD_BACKOFF, attempt); // nothing was written: allocate again once it is done
      continue;
    }
    if (allocation.status === 'unmirrored') {
      // The head was cached before the mirror was removed (a repair): check by reading, as before it.
      trustsMirror = false;
      deps.store.heads.forget(input.chatId);
      await refuseBlockedSend(deps, caller, head).catch((error: unknown) => {
        throw new StoredNothing(error);
      });
      head = { chat: allocation.chat, members: head.members };
      continue;
    }
    if (allocation.status === 'members-changed') {
      head = await refreshedHead(deps, caller, head, allocation.chat).catch((error: unknown) => {
        throw new StoredNothing(error);
      });
      continue;
    }
    const { seq, ver } = allocation;
    heads.noteAllocated(input.chatId, seq, ver);
    // Applied between `sentAt` and now: readers judge what is settled from this upper bound.
    const answeredAt = deps.now().getTime();
    const message: MessageRecord = {
      chatId: input.chatId,
      messageId: newMessageId(seq),
      seq,
      ver,
      allocAt: answeredAt,
      senderId: caller.userId,
      text: input.text,
      replyTo: input.replyTo,
      clientMessageId: input.clientMessageId,
      createdAt: isoOf(answeredAt),
      editedAt: null,
      deleted: false,
      ...(input.attachments ? { attachments: input.attachments } : {}),
    };
    // The put lands within the write deadline of the allocation's sending (a lower bound of when it
    // was applied), and within the claim's deadline.
    const deadline = Math.min(sentAt + t.writeDeadlineMs, claimEnd);
    let besidePut: Promise<T> | undefined;
    if (answeredAt < deadline) {
      besidePut = started(beside, head);
      try {
        const put = await messages.put(message, { abortSignal: signalAt(deadline, answeredAt) });
        if (put.status === 'stored') {
          noteChatSize(input.chatId, put.chatGB);
          return { message, head, beside: besidePut };
        }
        // The SDK retried a put whose first attempt landed (its answer was lost): ours after all.
        const { slot } = put;
        if (slot.kind === 'message' && slot.message.messageId === message.messageId) {
          return { message: slot.message, head, beside: besidePut };
        }
        continue; // a reader filled the seq with a void: take the next one
      } catch (error) {
        // A full chat refused it (nothing written): no void can be stored either, nor any next seq.
        // The seq is given back unless something was allocated since (then it stays empty, and
        // readers take it for a void: voids.ts), so that no one counts it unread.
        if (isChatFull(error)) {
          const sentBy =
            head.chat.kind === 'direct' && input.movesReadCursor !== false ? caller.userId : undefined;
          await giveBack(deps, input.chatId, { seq, ver, sentBy }, deadline);
          throw new StoredNothing(error);
        }
        logger.warn('a message put did not land in time; its seq is settled and the next one taken', {
          error,
        });
      }
    } else {
      logger.warn('an allocation was answered after its write deadline; its seq is given up', {
        seq,
        tookMs: answeredAt - sentAt,
      });
    }
    const settled = await voidOrFind(deps, message);
    if (settled) return { message: settled, head, beside: besidePut ?? started(beside, head) };
  }
  throw new StoredNothing(conflict('The chat is busy right now; retry with the same clientMessageId.'));
}

/** Gives a seq back (`sequence.giveBack`) before `deadline`; a failure leaves it empty, as before. */
async function giveBack(
  deps: Deps,
  chatId: string,
  allocated: { seq: number; ver: number; sentBy: string | undefined },
  deadline: number,
): Promise<void> {
  try {
    const now = deps.now().getTime();
    if (now >= deadline) return;
    const given = await deps.store.sequence.giveBack(chatId, allocated, {
      abortSignal: signalAt(deadline, now),
    });
    if (given) deps.store.heads.forget(chatId); // a cached head may hold the given-back seq
  } catch (error) {
    logger.warn('a seq a full chat refused could not be given back', { chatId, seq: allocated.seq, error });
  }
}

/** Starts `beside`; a rejection is kept for whoever awaits it (or dropped with an attempt given up). */
function started<T>(beside: Beside<T>, head: ChatHead): Promise<T> {
  const running = Promise.resolve().then(() => beside(head));
  running.catch(() => undefined);
  return running;
}

/**
 * Settles a seq whose put did not answer in time: fills it with a void, unless the message landed
 * after all (then it is returned). Throws (keeping any claim) when that cannot be decided.
 */
async function voidOrFind(deps: Deps, message: MessageRecord): Promise<MessageRecord | undefined> {
  const outcome = await fillVoid(deps, message.chatId, message.seq, message.allocAt);
  if (outcome.status === 'voided' || outcome.status === 'full') return undefined;
  if (outcome.status === 'chat-gone') throw chatNotFound(message.chatId);
  const { slot } = outcome;
  if (slot.kind === 'message' && slot.message.messageId === message.messageId) return slot.message;
  return undefined; // a reader's void
}

/** What to answer with: the reason a send stored nothing, or the error itself. */
export function reasonOf(error: unknown): unknown {
  return error instanceof StoredNothing ? error.reason : error;
}
