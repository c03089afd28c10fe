/**
 * The outbox: the user's sends, edits, deletes and reactions, kept (and stored) until the server
 * acknowledges them. Per chat they go out one at a time, in order, so a user's own messages keep
 * their order; chats do not wait for each other, but at most SENDS_IN_FLIGHT changes of each action
 * are in flight in all (the chats whose head waited longest go first): an action whose gate is shut
 * (gate.ts) holds its own slots only, never another action's changes. A send is resent with the same
 * `clientMessageId`, so the server stores it exactly once however often it arrives.
 *
 * Retried: a lost socket or a timeout (at once, on the next open socket), `RATE_LIMITED` (after
 * `retryAfterMs`; meanwhile the action's gate holds the other chats' changes unsent, gate.ts),
 * `INTERNAL`, `TOKEN_EXPIRED` and, for sends, `CONFLICT` (with backoff).
 * Refused for good (`BAD_REQUEST`, `FORBIDDEN`, `NOT_FOUND`, `PAYLOAD_TOO_LARGE` — also the
 * client's own, for a frame over MAX_FRAME_BYTES —, an edit's `CONFLICT` on a deleted message, …):
 * the entry is dropped, its promise rejects and an `outbox` change says `failed`.
 */
import type { ClientStats, OutboxChange, OutboxEntry } from './api.ts';
import type { Connection, Frame } from './connection.ts';
import { type ChatClientError, closedError, codeOf, RETRYABLE } from './errors.ts';
import { backoff, cancel, later, type TimerId } from './util.ts';

/**
 * Changes of one action in flight at once across chats: they bound the refusals a flush meets when
 * the user's limit of the action runs out (the server closes a socket that keeps sending after a
 * refusal: protocol.md, Limits).
 */
export const SENDS_IN_FLIGHT = 4;

export interface OutboxHooks {
  acked(entry: OutboxEntry, ack: Frame): void;
  changed(entries: readonly OutboxEntry[]): void;
  emit(change: OutboxChange): void;
}

interface Settle {
  resolve(ack: Frame): void;
  reject(error: ChatClientError): void;
}

export class Outbox {
  entries: OutboxEntry[] = [];
  readonly #busy = new Set<string>();
  /** Changes in flight per action (at most SENDS_IN_FLIGHT each). */
  readonly #inFlight = new Map<string, number>();
  readonly #waits = new Map<string, TimerId>();
  readonly #settle = new Map<string, Settle>();

  constructor(
    private readonly conn: Connection,
    private readonly hooks: OutboxHooks,
    private readonly stats: ClientStats,
    private readonly backoffMs: readonly [base: number, max: number],
  ) {}

  load(entries: readonly OutboxEntry[]): void {
    this.entries.push(...entries);
  }

  /**
   * Queues a change; resolves with its ack (possibly after many reconnects). A client already closed
   * (close(), a refused or expired static token) keeps nothing: CLOSED at once, as request() does.
   */
  add(entry: OutboxEntry): Promise<Frame> {
    if (this.conn.state === 'closed') return Promise.reject(closedError(entry.action));
    return new Promise((resolve, reject) => {
      this.#settle.set(entry.id, { resolve, reject });
      this.entries.push(entry);
      this.hooks.changed(this.entries);
      this.hooks.emit({ entry, status: 'queued' });
      this.#pump(entry.chatId);
    });
  }

  /**
   * Sends the head of every chat's queue, oldest first, as far as SENDS_IN_FLIGHT allows: one pass
   * over the entries (a flush of thousands runs this once per settled change).
   */
  pumpAll(): void {
    const seen = new Set<string>();
    for (const entry of this.entries) {
      if (seen.has(entry.chatId)) continue;
      seen.add(entry.chatId);
      this.#pump(entry.chatId, entry);
    }
  }

  /** Removes an entry that is not in flight; its promise rejects with CLOSED. */
  discard(id: string, error: ChatClientError): boolean {
    const entry = this.entries.find((e) => e.id === id);
    if (!entry || (this.#busy.has(entry.chatId) && this.#head(entry.chatId) === entry)) return false;
    this.#finish(entry);
    this.#settle.get(id)?.reject(error);
    this.#settle.delete(id);
    return true;
  }

  /** The client closes: stop retrying; entries stay stored for the next run. */
  stop(error: ChatClientError): void {
    for (const timer of this.#waits.values()) cancel(timer);
    this.#waits.clear();
    for (const s of this.#settle.values()) s.reject(error);
    this.#settle.clear();
  }

  #head(chatId: string): OutboxEntry | undefined {
    return this.entries.find((e) => e.chatId === chatId);
  }

  #pump(chatId: string, head?: OutboxEntry): void {
    if (this.conn.state !== 'open' || this.#busy.has(chatId) || this.#waits.has(chatId)) return;
    const entry = head ?? this.#head(chatId);
    if (!entry || (this.#inFlight.get(entry.action) ?? 0) >= SENDS_IN_FLIGHT) return;
    const { action } = entry;
    this.#busy.add(chatId);
    this.#inFlight.set(action, (this.#inFlight.get(action) ?? 0) + 1);
    if (entry.attempts++ > 0) this.stats.resends++;
    this.hooks.changed(this.entries);
    this.conn
      .request(entry.action, entry.fields)
      .then(
        (ack) => {
          this.#finish(entry);
          this.hooks.acked(entry, ack);
          this.hooks.emit({ entry, status: 'sent' });
          this.#settle.get(entry.id)?.resolve(ack);
          this.#settle.delete(entry.id);
        },
        (error: ChatClientError) => this.#failed(entry, error),
      )
      .finally(() => {
        this.#busy.delete(chatId);
        this.#inFlight.set(action, (this.#inFlight.get(action) ?? 1) - 1);
        this.pumpAll();
      });
  }

  #failed(entry: OutboxEntry, error: ChatClientError): void {
    const code = codeOf(error) ?? 'INTERNAL';
    if (code === 'CLOSED') return;
    if (RETRYABLE.has(code) || (code === 'CONFLICT' && entry.action === 'sendMessage')) {
      const delay =
        code === 'TIMEOUT' || code === 'DISCONNECTED'
          ? 0
          : (error.retryAfterMs ?? backoff(entry.attempts, this.backoffMs[0], this.backoffMs[1]));
      if (delay > 0) {
        this.#waits.set(
          entry.chatId,
          later(() => {
            this.#waits.delete(entry.chatId);
            this.pumpAll();
          }, delay),
        );
      }
      return;
    }
    this.#finish(entry);
    this.hooks.emit({ entry, status: 'failed', error });
    this.#settle.get(entry.id)?.reject(error);
    this.#settle.delete(entry.id);
  }

  #finish(entry: OutboxEntry): void {
    this.entries = this.entries.filter((e) => e !== entry);
    this.hooks.changed(this.entries);
  }
}
