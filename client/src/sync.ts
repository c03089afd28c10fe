/**
 * Catching up, and live events into the replica.
 *
 * After every (re)connect: `listChats` (all pages); a chat held but no longer listed is checked with
 * `getChat` and dropped on NOT_FOUND (deleted, or you left or were removed); then, for every chat
 * whose listed `lastVer` differs from the cursor (or not loaded yet), `sync` from the cursor until
 * `hasMore` is false (`reset` → drop what is held of the chat, reload it with `history`, then sync
 * on from exactly the reset's `lastVer`: a cursor ahead of the chat, e.g. from a store restored from
 * a backup, comes back down). The `lastVer` of an ack is a safe cursor: items newer than it may come
 * again, and the replica applies them idempotently. Last, after a reconnect, the read and delivery
 * receipts that may have moved while away are refreshed (receipts.ts).
 *
 * Servers without `sync` (they answer UNKNOWN_ACTION) get the v1 catch-up: `history` after the last
 * seq held without a hole. It brings new messages, not edits or deletions made while away.
 *
 * Live events (live.ts) are applied by version; a hole (a version, or without versions a seq, that
 * did not come within `gapMs`) triggers a catch-up of that chat, as does a membership change (sync
 * answers the member list and `memberCount`; from an older server without it, a full list of
 * MEMBERS_LISTED_MAX may be a big group's first members, so `getChat` then tells the count); but
 * not a leave of someone a big group's full list held does not name (the list stays the same).
 * `markDelivered` goes out at most once per `deliveredIntervalMs` per chat, for the newest message
 * of someone else, once the chat has no hole below it, within a budget for all chats together
 * (receipts.ts).
 */
import type { ClientStats } from './api.ts';
import { historyPages, PAGE, type Requester, syncPages } from './chat-pages.ts';
import type { Connection, Warn } from './connection.ts';
import type { Ack } from './contract.ts';
import { codeOf, RETRYABLE, retryable } from './errors.ts';
import { Deliveries, getChat, refreshReceipts } from './receipts.ts';
import type { ChatEntry, Replica } from './replica.ts';
import { backoff, cancel, clock, later, pool } from './util.ts';

export type { Requester } from './chat-pages.ts';

export interface SyncOptions {
  readonly gapMs: number;
  readonly deliveredIntervalMs: number;
  readonly warn: Warn;
}

export class Syncer {
  private versions: boolean | undefined;
  private delivers = true;
  // The catch-up of every chat (resync()): the run under way, its retry timer, the failures in a row,
  // and whether to list again once it is done (names a ChatEntry uses for its own catch-up).
  private running: Promise<unknown> | undefined;
  private timer: unknown;
  private tries = 0;
  private again?: boolean;
  /** A socket opened: the next catch-up also refreshes the receipts that may have moved meanwhile. */
  private receipts?: boolean;
  private readonly deliveries: Deliveries;

  constructor(
    private readonly conn: Connection,
    // What the pages of a catch-up need (PageDeps): syncPages(this, …).
    readonly replica: Replica,
    readonly req: Requester,
    readonly stats: ClientStats,
    private readonly o: SyncOptions,
  ) {
    this.deliveries = new Deliveries(o.deliveredIntervalMs, this);
  }

  /** Whether a catch-up is under way. */
  get busy(): boolean {
    if (this.running || this.timer !== undefined) return true;
    for (const e of this.replica.chats.values()) if (e.running || e.hasGap) return true;
    return false;
  }

  /** A socket opened: probe for `sync` and `markDelivered` again, and catch up. */
  opened(): void {
    this.versions = undefined;
    this.delivers = true;
    this.receipts = true;
    void this.resync();
  }

  /** listChats, then a catch-up of every chat that moved; resolves with why it failed, if it did. */
  resync(): Promise<unknown> {
    cancel(this.timer);
    this.timer = undefined;
    if (this.running) {
      // A new socket (or a wake-up) while one runs: list again once it is done.
      this.again = true;
      return this.running;
    }
    const run = async (): Promise<unknown> => {
      let failed: unknown;
      do {
        this.again = false;
        failed = await this.resyncOnce();
      } while (this.again && this.conn.state === 'open');
      return failed;
    };
    this.running = run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async resyncOnce(): Promise<unknown> {
    const before = new Set(this.replica.chats.keys());
    const receipts = this.receipts;
    const stamp = this.replica.stamp;
    // A chat removed after this (a leave answered meanwhile) is not brought back by these answers.
    const since = this.replica.gone.cut;
    /** Each chat's `lastVer` as listed: a cursor held past it (a restored store) is off too. */
    const listed = new Map<string, number>();
    try {
      let cursor: string | null = null;
      do {
        const ack: Ack<'listChats'> = await this.req('listChats', { limit: PAGE, cursor });
        for (const s of ack.chats) if (this.replica.summary(s, since)) listed.set(s.chatId, s.lastVer);
        cursor = ack.nextCursor;
      } while (cursor);
      this.tries = 0;
    } catch (error) {
      this.o.warn('listChats failed', error);
      if (RETRYABLE.has(codeOf(error) ?? 'INTERNAL') && this.conn.state === 'open') {
        // resync() forgets the timer.
        this.timer = later(() => void this.resync(), backoff(++this.tries, 500, 10_000));
      }
      return error;
    }
    // Not listed: deleted, or we left or were removed — or moved between pages while we paged.
    await pool(
      [...before].filter((chatId) => !listed.has(chatId) && this.replica.chats.has(chatId)),
      4,
      // The answer is the chat held (live.ts applyRequest, as every getChat answer below).
      (chatId) => getChat(this.replica, this.req, chatId),
    );
    const behind = [...this.replica.chats.values()].filter((e) => {
      const lastVer = listed.get(e.info.chatId) ?? e.info.lastVer;
      return !e.loaded || e.hasGap || (lastVer > 0 ? lastVer !== e.syncedVer : e.info.lastSeq > e.contigSeq);
    });
    let failed: unknown;
    await pool(behind, 4, async (e) => {
      failed ??= await this.catchUp(e);
    });
    if (receipts) {
      this.receipts = false;
      // Delivery receipts due when the last socket (or the last run) ended.
      for (const e of this.replica.chats.values()) this.changed(e);
      await refreshReceipts(this.replica, this.req, stamp, this.o.warn);
    }
    return failed;
  }

  /**
   * Brings one chat up to date (joins the run under way, and runs once more after it); resolves with
   * why it failed, if it did.
   */
  catchUp(e: ChatEntry): Promise<unknown> {
    if (e.running) {
      e.again = true;
      return e.running;
    }
    const run = async (): Promise<unknown> => {
      let failed: unknown;
      try {
        do {
          e.again = false;
          e.missed = false;
          await this.once(e);
        } while (e.again && this.replica.holds(e));
        e.tries = 0;
      } catch (error) {
        const code = codeOf(error);
        if (code === 'NOT_FOUND') return this.replica.remove(e.info.chatId);
        failed = error;
        this.o.warn(`catch-up of ${e.info.chatId} failed`, error);
        if (RETRYABLE.has(code ?? 'INTERNAL') && this.conn.state === 'open') {
          e.missed = true;
          cancel(e.gapTimer);
          e.gapTimer = later(
            () => {
              e.gapTimer = undefined;
              if (this.replica.holds(e) && this.conn.state === 'open') void this.catchUp(e);
            },
            backoff(++e.tries, 500, 10_000),
          );
        }
      } finally {
        e.running = undefined;
      }
      this.changed(e);
      return failed;
    };
    e.running = run();
    return e.running;
  }

  private async once(e: ChatEntry): Promise<void> {
    const chatId = e.info.chatId;
    if (e.stub) await this.req('getChat', { chatId });
    if (this.versions !== false) {
      try {
        await syncPages(this, e);
        this.versions = true;
        return;
      } catch (error) {
        if (codeOf(error) !== 'UNKNOWN_ACTION') throw error;
        this.versions = false;
      }
    }
    if (e.stale) await this.req('getChat', { chatId });
    await historyPages(this, e, e.contigSeq);
    this.replica.markLoaded(e);
  }

  /** After a change: watch for holes, and report delivery. */
  changed(e: ChatEntry): void {
    if (!this.replica.holds(e) || this.conn.state !== 'open') return;
    if (e.hasGap) {
      if (e.gapTimer === undefined && !e.running) {
        const mark = `${e.syncedVer}/${e.contigSeq}`;
        e.gapTimer = later(() => {
          e.gapTimer = undefined;
          if (!this.replica.holds(e)) return;
          if (e.missed || mark === `${e.syncedVer}/${e.contigSeq}`) void this.catchUp(e);
          else this.changed(e);
        }, this.o.gapMs);
      }
      return;
    }
    // One receipt per chat at a time (one held back after RATE_LIMITED waits for the gate, and later
    // messages do not queue more behind it); once it is answered or failed for a reason that passes,
    // messages that came meanwhile get theirs.
    if (this.wants(e)) this.deliveries.due(e);
  }

  /** Whether the chat has a receipt to send (DeliveryHooks). */
  wants(e: ChatEntry): boolean {
    return this.delivers && this.replica.holds(e) && e.othersSeq > e.deliveredSeq && !e.hasGap;
  }

  /**
   * `answered`, or `failed` for a reason that passes (look again, later each time in a row), or
   * `done` (nothing to send, or a refusal that will not pass).
   */
  async send(e: ChatEntry): Promise<'answered' | 'failed' | 'done'> {
    const seq = e.othersSeq;
    if (!this.wants(e)) return 'done';
    e.deliveredAt = clock();
    this.stats.delivered++;
    try {
      const ack = await this.req('markDelivered', { chatId: e.info.chatId, seq });
      this.replica.receipted(e, ack.lastDeliveredSeq);
      return 'answered';
    } catch (error) {
      if (codeOf(error) === 'UNKNOWN_ACTION') this.delivers = false;
      return retryable(error) ? 'failed' : 'done';
    }
  }

  /** Stops every timer (the client is closing). */
  stop(): void {
    cancel(this.timer);
    this.timer = undefined;
    this.deliveries.stop();
    for (const e of this.replica.chats.values()) cancel(e.gapTimer);
  }
}
