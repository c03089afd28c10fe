/**
 * Delivery receipts (`Deliveries`), and receipts after a reconnect (`refreshReceipts`).
 *
 * `markDelivered` goes out per chat at most every `deliveredIntervalMs` (doubling, up to 16 times,
 * while it keeps failing for a reason that passes), for the newest message of someone else, one at
 * a time per chat: a chat due again while one is on its way gets the newest seq once it is answered,
 * so no receipt is dropped and only the latest counts. All chats together stay within
 * DELIVERED_PER_MINUTE, below the server's limit (300 a minute, docs/protocol.md: beyond it the
 * receipts would be refused and then held by the action's gate, gate.ts): at most DELIVERED_BURST at
 * once, then one every 60 s / DELIVERED_PER_MINUTE. When more chats have receipts due than that
 * allows at the interval, each chat's interval stretches to (chats due) × that spacing, so every
 * chat gets its turn; among the chats whose turn it is, the most recently active go first.
 *
 * Receipts after a reconnect. Read and delivery cursors take no version, so neither `listChats` nor
 * `sync` tells what moved while the socket was down (sync lists members only when membership
 * changed): the syncer then asks `getChat` for the chats whose ticks can have moved — those where
 * another member has not yet read the user's newest message as the replica holds it — unless their
 * member list came from a `getChat` or an event since the socket opened (ChatEntry.stamp), not from
 * a `sync` (ChatEntry.synced): a sync of a group of MEMBER_LOG_FROM or more, also the first one after
 * it shrank below that, lists the members the server cached, others' cursors as they were then (the
 * server's sync.ts, loadForSync); a smaller chat's synced list costs one getChat more (its membership
 * changed while away: rare). Never a group of more members than listed (over 200: see unreadMine).
 * At most RECEIPTS_REFRESH_MAX chats a reconnect and RECEIPTS_PARALLEL
 * at a time: first those not refreshed yet for the user's newest message in them (ChatEntry.refreshed:
 * set once a getChat answer was taken, not when it failed or was dropped as behind), most recently
 * active first; then those that were, the least recently refreshed first (the member
 * list taken last: ChatEntry.stamp). So with more chats waiting than that, each gets its turn.
 */
import type { Requester } from './chat-pages.ts';
import type { Warn } from './connection.ts';
import { codeOf } from './errors.ts';
import type { ChatEntry, Replica } from './replica.ts';
import { cancel, clock, later, pool, type TimerId } from './util.ts';

export const RECEIPTS_REFRESH_MAX = 20;
export const RECEIPTS_PARALLEL = 2;

/**
 * Refreshes with `getChat` the members of the chats waiting for receipts (`stamp`: see above); the
 * request applies each answer to the chat held (live.ts applyRequest): taken if the chat's stamp moved.
 */
export async function refreshReceipts(
  replica: Replica,
  req: Requester,
  stamp: number,
  warn: Warn,
): Promise<void> {
  const waiting = [...replica.chats.values()]
    .map((e) => ({ e, seq: e.stamp > stamp && e.stamp !== e.synced ? 0 : unreadMine(e, replica.me) }))
    .filter((c) => c.seq)
    .sort((a, b) => turn(a) - turn(b) || b.e.newest().localeCompare(a.e.newest()))
    .slice(0, RECEIPTS_REFRESH_MAX);
  await pool(waiting, RECEIPTS_PARALLEL, ({ e, seq }) => {
    const at = e.stamp;
    return getChat(replica, req, e.info.chatId).then(
      () => {
        if (e.stamp > at) e.refreshed = seq;
      },
      (error) => warn(`receipts of ${e.info.chatId} not refreshed`, error),
    );
  });
}

/** A chat's place in the refresh order (see the module comment): 0 first, then by the stamp. */
const turn = (c: { e: ChatEntry; seq: number }): number => (c.e.refreshed === c.seq ? c.e.stamp : 0);

/**
 * Asks `getChat` of a chat held: the request applies the answer (live.ts applyRequest); NOT_FOUND
 * removes the chat, another error rejects.
 */
export const getChat = (replica: Replica, req: Requester, chatId: string): Promise<unknown> =>
  req('getChat', { chatId }).catch((error) => {
    if (codeOf(error) !== 'NOT_FOUND') throw error;
    replica.remove(chatId);
  });

/**
 * The seq of the user's newest message held that another member listed has not read, or 0. Also 0
 * in a group of more members than listed (over 200): the server tells no one there of others' reads
 * (docs/protocol.md, "Receipts in big groups") and its ticks never claim read (every member is not
 * listed), so a refresh would cost a getChat (~40 read units) at every reconnect, forever. Its
 * listed members' cursors come from a getChat the app asks for when it shows them (the answer
 * updates the chat: live.ts applyRequest); the user's own read cursor, from listChats.
 */
export function unreadMine(e: ChatEntry, me: string): number {
  const listed = e.info.members ?? [];
  if (!e.loaded || e.info.memberCount > listed.length) return 0;
  // No other member listed: Math.min() is Infinity, so none.
  const read = Math.min(...listed.filter((m) => m.userId !== me).map((m) => m.lastReadSeq));
  for (let seq = e.maxSeq; seq > read; seq--) if (e.bySeq.get(seq)?.senderId === me) return seq;
  return 0;
}

/** markDelivered a minute at most: 80 % of the server's limit of 300 (docs/protocol.md, Limits). */
export const DELIVERED_PER_MINUTE = 240;
/** Receipts that may go at once: with the budget, at most 260 in any minute. */
export const DELIVERED_BURST = 20;
const SPACING = 60_000 / DELIVERED_PER_MINUTE;

export interface DeliveryHooks {
  /** Whether the chat has a receipt to send (a message of someone else beyond it, no hole below). */
  readonly wants: (e: ChatEntry) => boolean;
  /** Sends it: answered, failed for a reason that passes (later, then), or done. */
  readonly send: (e: ChatEntry) => Promise<'answered' | 'failed' | 'done'>;
}

/** Schedules the delivery receipts of all chats (see above). */
export class Deliveries {
  /** Chats with a receipt due, waiting for their turn or on its way. */
  private readonly waiting = new Set<ChatEntry>();
  private tokens = DELIVERED_BURST;
  private countedAt = 0;
  private timer: TimerId;

  constructor(
    private readonly intervalMs: number,
    private readonly hooks: DeliveryHooks,
  ) {}

  /** The chat changed: it may have a receipt due. */
  due(e: ChatEntry): void {
    if (this.waiting.has(e)) return;
    this.waiting.add(e);
    this.run(0);
  }

  stop(): void {
    cancel(this.timer);
    this.waiting.clear();
  }

  private run(delayMs: number): void {
    cancel(this.timer);
    this.timer = later(() => this.send(), delayMs);
  }

  /** Sends the receipts whose turn it is, as far as the budget allows; then waits for the next. */
  private send(): void {
    // A monotonic clock; should it be the wall clock (no performance.now()) and that be set back, the
    // budget refills nothing meanwhile, and a receipt sent "in the future" counts as sent now.
    const now = clock();
    this.tokens = Math.min(DELIVERED_BURST, this.tokens + Math.max(0, now - this.countedAt) / SPACING);
    this.countedAt = now;
    const stretched = this.waiting.size * SPACING;
    const turn: ChatEntry[] = [];
    let next = Infinity;
    for (const e of this.waiting) {
      if (e.delivering) continue;
      if (!this.hooks.wants(e)) this.waiting.delete(e);
      else {
        const interval = Math.max(this.intervalMs * 2 ** Math.min(e.deliverFailures, 4), stretched);
        const at = Math.min(e.deliveredAt, now) + interval;
        if (at <= now) turn.push(e);
        else next = Math.min(next, at);
      }
    }
    turn.sort((a, b) => b.newest().localeCompare(a.newest()));
    for (const e of turn) {
      if (this.tokens < 1) {
        next = Math.min(next, now + (1 - this.tokens) * SPACING);
        break;
      }
      this.tokens--;
      e.delivering = true;
      void this.hooks.send(e).then((outcome) => {
        e.delivering = false;
        e.deliverFailures = outcome === 'failed' ? e.deliverFailures + 1 : 0;
        if (outcome === 'done') this.waiting.delete(e);
        else this.run(0);
      });
    }
    if (next < Infinity) this.run(next - now);
  }
}
