/**
 * `history`: a page of a chat's messages, ascending by seq. Seqs are dense over stored items (a
 * message or a void), but a seq is allocated before its message is stored, so a page may meet a seq
 * that has no item yet. A reader never skips such a seq (a client would move its cursor past a
 * message that lands a moment later): it waits for it, and once the seq is settled (older than the
 * settle window, judged from the allocation time of the nearest item above it) and still empty,
 * fills it with a void, which makes a late put fail (its writer then takes the next seq). Voids are
 * never returned. A page is also cut by size, so its ack fits in API Gateway's 128 KB frame (issue 17).
 *
 * The top of the chat may be in flight too: an `after` page (the catch-up) that reaches the end of
 * what is stored reads the chat head (consistently) and waits the same way for the seqs allocated
 * above it, up to a full page. A socket that opened while a message was in flight may have missed
 * its event (`send.ts` looks sockets up beside the put), and its catch-up must not stop short of it.
 */
import { MAX_SEQ } from '../data/keys.ts';
import type { MessageRecord, Slot } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { loadMembership } from './access.ts';
import type { Deps } from './deps.ts';
import { REPLY_BUDGET_BYTES } from './reply-budget.ts';
import { fittingSigned } from './signed-pages.ts';
import { type MessageView, messageView } from './views.ts';
import { settleGap } from './voids.ts';

export interface HistoryInput {
  readonly chatId: string;
  readonly before?: number | undefined;
  readonly after?: number | undefined;
  readonly limit: number;
}

export async function getHistory(
  deps: Deps,
  caller: Caller,
  input: HistoryInput,
): Promise<{ messages: MessageView[]; hasMore: boolean }> {
  await loadMembership(deps, caller, input.chatId);
  const page = await readHistoryPage(deps, input);
  // A page that would not fit in one frame is cut: the messages nearest the cursor are kept (the
  // newest for a backward page, the oldest for an `after` page) and `hasMore` says more are there.
  // Only the kept ones get their attachment URLs signed (signed-pages.ts).
  const forward = input.after !== undefined;
  const kept = await fittingSigned(
    deps,
    forward ? page.messages : [...page.messages].reverse(),
    (m) => [m],
    messageView,
    REPLY_BUDGET_BYTES,
  );
  const messages = forward ? kept : kept.reverse();
  return { messages, hasMore: page.hasMore || messages.length < page.messages.length };
}

/** A page of messages (no access check): the newest, `before` a seq, or `after` a seq. */
export async function readHistoryPage(
  deps: Deps,
  input: HistoryInput,
): Promise<{ messages: MessageRecord[]; hasMore: boolean }> {
  const { chatId, before, after, limit } = input;
  if (before !== undefined && before <= 1) return { messages: [], hasMore: false };
  const forward = after !== undefined;
  // A `before` page also reads the seq `before` itself: when it exists, every seq below it is
  // allocated, so an empty one among them is in flight, not beyond the end.
  const run = await deps.store.messages.readSlots(chatId, {
    from: forward ? after + 1 : 1,
    to: before ?? MAX_SEQ,
    forward,
    messages: limit + (before !== undefined ? 2 : 1),
  });
  const slots = new Map(run.slots.map((s) => [seqOfSlot(s), s]));
  const present = [...slots.keys()].sort((a, b) => a - b);
  // Backwards, a run that read down to seq 1 makes every seq below the lowest stored one allocated
  // (in flight, or a void to fill): they are this page's too, never skipped.
  const lowest = forward ? after + 1 : run.exhausted ? 1 : (present[0] ?? 0);
  const highest = present.at(-1) ?? 0;
  const gaps: number[] = [];
  for (let seq = lowest; seq < highest; seq++) if (!slots.has(seq)) gaps.push(seq);
  const filled = await Promise.all(
    gaps.map((seq) => settleGap(deps, chatId, seq, allocAtAbove(slots, seq, highest))),
  );
  for (const slot of filled) if (slot) slots.set(seqOfSlot(slot), slot);
  const held = [...slots.values()].filter((s) => s.kind === 'message').length;
  // The run found fewer than a page and one: it read everything stored above `after`.
  const topLeft =
    forward && held <= limit
      ? await awaitTop(deps, chatId, slots, Math.max(after, highest), limit + 1)
      : false;

  const messages = [...slots.values()]
    .flatMap((s) =>
      s.kind === 'message' && (before === undefined || s.message.seq < before) ? [s.message] : [],
    )
    .sort((a, b) => a.seq - b.seq);
  // One message more than a page was asked for (the run stops only after finding it): `hasMore`.
  const hasMore = messages.length > limit || topLeft;
  return { messages: forward ? messages.slice(0, limit) : messages.slice(-limit), hasMore };
}

/**
 * Waits for the seqs the chat head has allocated above `above` (the highest stored one) that have
 * no item yet, at most `max` of them: each lands within the write deadline of the head's
 * `lastAllocAt`, or becomes a void. Whether allocated seqs were left for the next page.
 */
async function awaitTop(
  deps: Deps,
  chatId: string,
  slots: Map<number, Slot>,
  above: number,
  max: number,
): Promise<boolean> {
  const chat = (await deps.store.chats.getChats([chatId])).get(chatId);
  if (!chat || chat.lastSeq <= above) return false;
  const voids = new Set(chat.voidSeqs ?? []);
  const last = Math.min(chat.lastSeq, above + max);
  const top: number[] = [];
  for (let seq = above + 1; seq <= last; seq++) if (!voids.has(seq)) top.push(seq);
  const filled = await Promise.all(top.map((seq) => settleGap(deps, chatId, seq, chat.lastAllocAt)));
  for (const slot of filled) if (slot) slots.set(seqOfSlot(slot), slot);
  return chat.lastSeq > last;
}

const seqOfSlot = (slot: Slot) => (slot.kind === 'message' ? slot.message.seq : slot.seq);
const allocAtOfSlot = (slot: Slot) => (slot.kind === 'message' ? slot.message.allocAt : slot.allocAt);

/** When the nearest item above `seq` was allocated: `seq` was allocated before that. */
function allocAtAbove(slots: Map<number, Slot>, seq: number, highest: number): number {
  for (let s = seq + 1; s <= highest; s++) {
    const slot = slots.get(s);
    if (slot) return allocAtOfSlot(slot);
  }
  return 0;
}
