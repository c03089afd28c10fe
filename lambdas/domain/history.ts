/**
 * `history`: a page of a chat's messages, ascending by seq. Seqs are dense over stored items (a
 * message or a void), but a seq is allocated before its message is stored, so a page may meet a seq
 * that has no item yet. A reader never skips such a seq (a client would move its cursor past a
 * message that lands a moment later): it waits for it, and once the seq is settled (older than the
 * settle window, judged from the allocation time of the nearest item above it) and still empty,
 * fills it with a void, which makes a late put fail (its writer then takes the next seq). Voids are
 * never returned. Only the top of the newest page may be in flight (it is simply not there yet).
 * A page is also cut by size, so its ack fits in API Gateway's 128 KB frame (issue 17).
 */
import { MAX_SEQ } from '../data/keys.ts';
import type { MessageRecord, Slot } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { chatNotFound } from './access.ts';
import type { Deps } from './deps.ts';
import { messageViews } from './media.ts';
import { fitting, REPLY_BUDGET_BYTES } from './reply-budget.ts';
import type { MessageView } from './views.ts';
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
  const me = await deps.store.chats.getMember(input.chatId, caller.userId);
  if (!me) throw chatNotFound(input.chatId);
  const page = await readHistoryPage(deps, input);
  const views = await messageViews(deps, page.messages);
  // A page that would not fit in one frame is cut: the messages nearest the cursor are kept (the
  // newest for a backward page, the oldest for an `after` page) and `hasMore` says more are there.
  const forward = input.after !== undefined;
  const kept = fitting(forward ? views : [...views].reverse(), REPLY_BUDGET_BYTES);
  const messages = forward ? kept : kept.reverse();
  return { messages, hasMore: page.hasMore || messages.length < views.length };
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
  const lowest = forward ? after + 1 : (present[0] ?? 0);
  const highest = present.at(-1) ?? 0;
  const gaps: number[] = [];
  for (let seq = lowest; seq < highest; seq++) if (!slots.has(seq)) gaps.push(seq);
  const filled = await Promise.all(
    gaps.map((seq) => settleGap(deps, chatId, seq, allocAtAbove(slots, seq, highest))),
  );
  for (const slot of filled) if (slot) slots.set(seqOfSlot(slot), slot);

  const messages = [...slots.values()]
    .flatMap((s) =>
      s.kind === 'message' && (before === undefined || s.message.seq < before) ? [s.message] : [],
    )
    .sort((a, b) => a.seq - b.seq);
  // One message more than a page was asked for (the run stops only after finding it): `hasMore`.
  const hasMore = messages.length > limit;
  return { messages: forward ? messages.slice(0, limit) : messages.slice(-limit), hasMore };
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
