/**
 * Voids: seqs that will never hold a message. A writer fills the seq it gave up on; readers fill a
 * seq that is still empty once it is settled (`timing.ts`): an interior gap of a history page, or
 * the abandoned top of a chat (a writer that died between its allocation and its put). Filling is
 * conditional, so a message that landed first is never overwritten, and a put that comes after a
 * void fails (its writer takes the next seq). In a full chat (`ChatFull`: its partition reached
 * DynamoDB's 10 GB limit) no void can be stored: the seq is empty for good (the put it was
 * allocated for was refused, and so would any other be), and readers take it for a void.
 */
import type { VoidOutcome } from '../data/sequence.ts';
import type { ChatRecord, Slot } from '../data/store.ts';
import { isChatFull } from '../shared/errors.ts';
import { type Backoff, backOff } from '../shared/retry.ts';
import type { Deps } from './deps.ts';
import { headQuietMs, settleWindowMs } from './timing.ts';

const VOID_ATTEMPTS = 4;
const VOID_BACKOFF: Backoff = { baseMs: 10, capMs: 100 };
/** Between looks at a seq whose message is in flight (it usually lands within milliseconds). */
const GAP_POLL: Backoff = { baseMs: 5, capMs: 200 };
/** A listChats call repairs at most this many abandoned seqs per chat (the rest on the next call). */
const TAIL_REPAIR_MAX = 5;

const isTransactionConflict = (error: unknown) => {
  const name = (error as { name?: string } | null)?.name;
  return name === 'TransactionCanceledException' || name === 'TransactionConflictException';
};

/** What filling a seq came to: `full` when the chat is full (no void stored; the seq stays empty). */
export type FillOutcome = VoidOutcome | { readonly status: 'full' };

/** Fills a seq with a void, retrying transaction conflicts with the chat head's other writes. */
export async function fillVoid(
  deps: Deps,
  chatId: string,
  seq: number,
  allocAt: number,
): Promise<FillOutcome> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await deps.store.sequence.fillVoid(chatId, seq, allocAt);
    } catch (error) {
      if (isChatFull(error)) return { status: 'full' };
      if (attempt >= VOID_ATTEMPTS - 1 || !isTransactionConflict(error)) throw error;
      await backOff(VOID_BACKOFF, attempt);
    }
  }
}

/**
 * Waits for an empty seq below an item allocated at `allocAtAbove`; once the seq is settled and
 * still empty, fills it with a void. What the seq holds in the end (undefined when the chat was
 * deleted meanwhile).
 */
export async function settleGap(
  deps: Deps,
  chatId: string,
  seq: number,
  allocAtAbove: number,
): Promise<Slot | undefined> {
  const settledAt = allocAtAbove + settleWindowMs();
  for (let attempt = 0; ; attempt++) {
    const slot = await deps.store.messages.getSlot(chatId, seq);
    if (slot) return slot;
    if (deps.now().getTime() > settledAt) {
      const outcome = await fillVoid(deps, chatId, seq, allocAtAbove);
      if (outcome.status === 'occupied') return outcome.slot;
      if (outcome.status === 'chat-gone') return undefined;
      return { kind: 'void', seq, allocAt: allocAtAbove };
    }
    await backOff(GAP_POLL, attempt);
  }
}

/**
 * The chat with its abandoned top filled: when the chat head is quiet and seqs above the
 * newest message (`newestSeq`) are neither messages nor voids, their writers are gone; they are
 * filled with voids so that unread counts stop counting them. The chat as it is afterwards.
 */
export async function repairTail(deps: Deps, chat: ChatRecord, newestSeq: number): Promise<ChatRecord> {
  if (chat.lastSeq <= newestSeq) return chat;
  if (deps.now().getTime() <= chat.lastAllocAt + headQuietMs()) return chat; // may be in flight
  const voids = new Set(chat.voidSeqs ?? []);
  const empty: number[] = [];
  for (let seq = chat.lastSeq; seq > newestSeq && empty.length < TAIL_REPAIR_MAX; seq--) {
    if (!voids.has(seq)) empty.push(seq);
  }
  for (const seq of empty) {
    const outcome = await fillVoid(deps, chat.chatId, seq, chat.lastAllocAt);
    if (outcome.status !== 'occupied' || outcome.slot.kind === 'void') voids.add(seq);
  }
  return { ...chat, voidSeqs: voids };
}
