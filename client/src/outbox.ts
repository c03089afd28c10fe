/**
 * The outbox: the user's sends, edits, deletes and reactions, kept (and stored) until the server
 * acknowledges them. Per chat they go out one at a time, in order, so a user's own messages keep
 * their order; chats do not wait for each other, but at most SENDS_IN_FLIGHT changes of each action
 * are in flight in all (the chat whose next change has waited longest for a slot goes first: chats
 * take turns): an action whose gate is shut (gate.ts) holds its own slots only, never another
 * action's changes. A send is resent with the same `clientMessageId`, so the server stores it
 * exactly once however often it arrives. Each change is looked at a few times however many wait (a
 * queue per chat, and per action a queue of the chats ready to send): a flush is linear, its store
 * writes too (changed()). A change is sent once the store holds it; changes added before the store
 * loaded wait for it and go after the stored ones.
 *
 * Retried: a lost socket or a timeout (at once, on the next open socket), `RATE_LIMITED` (after
 * `retryAfterMs`; meanwhile the action's gate holds the other chats' changes unsent, gate.ts; but
 * one longer than LONG_REFUSAL_MS, the daily text budget's until 00:00 UTC, is refused for good,
 * and so at once, unsent, is every queued change of the action: failure()),
 * `INTERNAL`, `TOKEN_EXPIRED` and `CONFLICT` ("busy, please retry": a send into a very busy chat, a
 * reaction in a burst on one message; with backoff), but an edit's.
 * Refused for good (`BAD_REQUEST`, `FORBIDDEN`, `NOT_FOUND`, `PAYLOAD_TOO_LARGE` — also the
 * client's own, for a frame over MAX_FRAME_BYTES —, an edit's `CONFLICT`: a deleted message, …):
 * the entry is dropped, its promise rejects and an `outbox` change says `failed`.
 *
 * About 300 lines on purpose: one class whose queues, slots and timers change together; splitting
 * it adds call sites to a bundle with 9 of its 12,288 gzipped bytes left (size.ts).
 */
import type { ClientStats, OutboxChange, OutboxEntry } from './api.ts';
import type { Connection, Frame } from './connection.ts';
import { type ChatClientError, closedError, codeOf, retryable } from './errors.ts';
import { backoff, cancel, Fifo, later, type TimerId } from './util.ts';

/**
 * Changes of one action in flight at once across chats: they bound the refusals a flush meets when
 * the user's limit of the action runs out (the server closes a socket that keeps sending after a
 * refusal: protocol.md, Limits).
 */
export const SENDS_IN_FLIGHT = 4;

export interface OutboxHooks {
  acked(entry: OutboxEntry, ack: Frame): void;
  /**
   * The entries are to be stored (read them from `entries`): resolves once they are. `now`: changes
   * were added (they are sent once stored), discarded, or the client closes.
   */
  changed(now: boolean): Promise<void>;
  emit(change: OutboxChange): void;
}

interface Settle {
  resolve(ack: Frame): void;
  reject(error: ChatClientError): void;
  promise: Promise<Frame>;
}

/**
 * A change's key: its id in its chat (a send's id is its clientMessageId, which the server dedupes
 * per chat: the same one in another chat is another message). `#` is in no chatId (contract
 * fields.ts), so the first `#` ends it (a clientMessageId may hold `#`).
 */
const key = (e: OutboxEntry): string => `${e.chatId}#${e.id}`;

export class Outbox {
  /** Every change by its key, in the order queued. */
  private readonly all = new Map<string, OutboxEntry>();
  /** Per chat its changes in order: the first is the next to go. */
  private readonly chats = new Map<string, Fifo<OutboxEntry>>();
  /** The chats with a change in flight, and that change (at most SENDS_IN_FLIGHT of each action). */
  private readonly busy = new Map<string, OutboxEntry>();
  /**
   * Per action the chats whose next change waits for a slot, the longest waiting first (a chat may
   * be listed twice, or be no longer ready: pump() looks again).
   */
  private readonly ready = new Map<string, Fifo<string>>();
  /**
   * The changes waiting out a retry (each its chat's first): the chat goes on when the wait ends, or
   * at once when the change goes another way (failed by a long refusal, discarded: not waited for).
   */
  private readonly waits = new Map<OutboxEntry, TimerId>();
  private readonly settle = new Map<string, Settle>();
  /** Changes added before the store loaded (`load` queues them behind the stored ones). */
  private early: OutboxEntry[] | undefined = [];
  /** Changes added and not stored yet: they are sent once stored. */
  private readonly unstored = new Set<OutboxEntry>();
  /** The outbox's size when last given to the store, and changes since that were not. */
  private stored = 0;
  private lag = 0;

  constructor(
    private readonly conn: Connection,
    private readonly hooks: OutboxHooks,
    private readonly stats: ClientStats,
    private readonly backoffMs: readonly [base: number, max: number],
  ) {}

  /** What waits, in the order queued. */
  get entries(): OutboxEntry[] {
    return [...this.all.values(), ...(this.early ?? [])];
  }

  /**
   * The stored outbox (once, at start): it goes first, then the changes added meanwhile (but those
   * whose key it holds already: their promises settle with the stored one's ack).
   */
  load(stored: readonly OutboxEntry[]): void {
    const early = this.early ?? [];
    this.early = undefined;
    // (A store written before ids were matched across runs may hold one twice: it goes once.)
    for (const entry of stored) if (!this.all.has(key(entry))) this.queue(entry);
    // (Those added meanwhile are each once: add() gave a repeat the first one's promise.)
    this.store(early.filter((e) => !this.all.has(key(e))));
  }

  /**
   * Queues a change; resolves with its ack (possibly after many reconnects). A client already closed
   * (close(), a refused or expired static token) keeps nothing: CLOSED at once, as request() does.
   */
  add(entry: OutboxEntry): Promise<Frame> {
    if (this.conn.state === 'closed') return Promise.reject(closedError(entry.action));
    // The same change again (its clientMessageId in the same chat) while it waits: the one promise;
    // also of a change stored by an earlier run (loaded, it had none), which is not queued twice.
    const k = key(entry);
    const queued = this.settle.get(k);
    if (queued) return queued.promise;
    const stored = this.all.get(k);
    const s = {} as Settle;
    s.promise = new Promise((resolve, reject) => {
      Object.assign(s, { resolve, reject });
      this.settle.set(k, s);
      if (stored) return;
      if (this.early) this.early.push(entry);
      else this.store([entry]);
      this.hooks.emit({ entry, status: 'queued' });
    });
    return s.promise;
  }

  /** Sends what the slots allow (a socket opened). */
  pumpAll(): void {
    for (const action of this.ready.keys()) this.pump(action);
  }

  /**
   * Removes an entry that is not in flight (the first queued of the id not in flight: a send's may
   * be in two chats); its promise rejects with CLOSED.
   */
  discard(id: string, error: ChatClientError): boolean {
    const entry = this.entries.find((e) => e.id === id && this.busy.get(e.chatId) !== e);
    if (!entry) return false;
    // Out of the queues, or else added before the store loaded (they are all then: `all` is empty).
    if (this.finish(entry, true)) this.proceed(entry.chatId);
    else this.early?.splice(this.early.indexOf(entry), 1);
    this.ended(entry, error);
    return true;
  }

  /** The client closes: stop retrying; entries stay stored for the next run. */
  stop(error: ChatClientError): void {
    for (const timer of this.waits.values()) cancel(timer);
    this.waits.clear();
    for (const s of this.settle.values()) s.reject(error);
    this.settle.clear();
    if (!this.early) void this.changed(true);
  }

  /** Queues new changes; each is sent once the store holds it. */
  private store(entries: OutboxEntry[]): void {
    if (!entries.length) return;
    for (const entry of entries) {
      this.unstored.add(entry);
      this.queue(entry);
    }
    void this.changed(true).then(() => {
      for (const entry of entries) this.unstored.delete(entry);
      for (const chatId of new Set(entries.map((e) => e.chatId))) this.proceed(chatId);
    });
  }

  /**
   * Has the store write the outbox: at once when `now` (changes added, discarded, the client
   * closes) or the outbox is empty; else (sent, acknowledged, refused) once the changes not written
   * are half the outbox last written. So a flush of n changes writes O(n) entries in all, not
   * O(n²) (a stored outbox may hold changes acknowledged meanwhile: after a crash they go again,
   * sends with their clientMessageId, which the server stores once).
   */
  private changed(now = false): Promise<void> {
    if (!now && this.all.size && ++this.lag * 2 < this.stored) return Promise.resolve();
    this.lag = 0;
    this.stored = this.all.size;
    return this.hooks.changed(now);
  }

  private queue(entry: OutboxEntry): void {
    this.all.set(key(entry), entry);
    const queue = this.chats.get(entry.chatId) ?? new Fifo();
    queue.items.push(entry);
    if (queue.size > 1) return;
    this.chats.set(entry.chatId, queue);
    this.wait(entry.chatId);
  }

  private head(chatId: string): OutboxEntry | undefined {
    return this.chats.get(chatId)?.first;
  }

  /** The chat's next change, if it may go (nothing of the chat in flight or waiting), waits for a slot. */
  private wait(chatId: string): void {
    const head = this.head(chatId);
    if (!head || this.busy.has(chatId) || this.waits.has(head) || this.unstored.has(head)) return;
    const ready = this.ready.get(head.action) ?? new Fifo();
    ready.items.push(chatId);
    this.ready.set(head.action, ready);
  }

  /** Sends the next changes of `action`, the longest waiting first, as far as SENDS_IN_FLIGHT allows. */
  private pump(action: string): void {
    const ready = this.ready.get(action);
    while (ready?.size) {
      if (
        this.conn.state !== 'open' ||
        [...this.busy.values()].filter((e) => e.action === action).length >= SENDS_IN_FLIGHT
      )
        return;
      const chatId = ready.take() as string;
      const entry = this.head(chatId);
      // Listed twice, or its next change went another way since (sent, discarded): look again.
      if (entry?.action === action && !this.busy.has(chatId) && !this.waits.has(entry)) this.send(entry);
    }
  }

  private send(entry: OutboxEntry): void {
    const { action, chatId } = entry;
    this.busy.set(chatId, entry);
    if (entry.attempts++ > 0) this.stats.resends++;
    void this.changed();
    this.conn
      .request(action, entry.fields)
      .then(
        (ack) => {
          this.finish(entry);
          this.hooks.acked(entry, ack);
          this.hooks.emit({ entry, status: 'sent' });
          this.ended(entry, undefined, ack);
        },
        (error: ChatClientError) => this.failure(entry, error),
      )
      .finally(() => {
        this.busy.delete(chatId);
        this.proceed(chatId);
        this.pump(action);
      });
  }

  /** The chat may send its next change (if it has one): it waits for a slot, behind the others. */
  private proceed(chatId: string): void {
    this.wait(chatId);
    const head = this.head(chatId);
    if (head) this.pump(head.action);
  }

  private failure(entry: OutboxEntry, error: ChatClientError): void {
    const code = codeOf(error);
    if (code === 'CLOSED') return;
    // An edit's CONFLICT is final (the message is deleted); the others' are "busy, please retry".
    if (retryable(error) || (code === 'CONFLICT' && entry.action !== 'editMessage')) {
      const delay =
        code === 'TIMEOUT' || code === 'DISCONNECTED'
          ? 0
          : (error.retryAfterMs ?? backoff(entry.attempts, ...this.backoffMs));
      if (delay > 0) {
        this.waits.set(
          entry,
          later(() => {
            this.waits.delete(entry);
            this.proceed(entry.chatId);
          }, delay),
        );
      }
      return;
    }
    // A long refusal (RATE_LIMITED, not retryable) fails, unsent, every queued change of the action
    // too (not those in flight: their answers decide), so no more frames meet it (the server's flood
    // guard); their chats go on once all are gone, one waiting out a retry of a failed one too (`waits`
    // holds the change: its timer, not cancelled, finds it gone). All leave the queues, and the store
    // at once (a run after a crash must not send what the user was told failed), before anyone
    // is told, so an `outbox` listener's discard() meanwhile neither frees a chat whose next change is
    // failing (it would go out, then be told failed and sent) nor finds one failing (it says false).
    const failed = [entry];
    if (code === 'RATE_LIMITED')
      for (const e of this.all.values())
        if (e.action === entry.action && this.busy.get(e.chatId) !== e) failed.push(e);
    for (const e of failed.filter((e) => this.finish(e, true))) {
      this.hooks.emit({ entry: e, status: 'failed', error });
      this.ended(e, error);
    }
    for (const e of failed) this.proceed(e.chatId);
  }

  /** The change's promise settles: rejects with `error`, or resolves with its ack. */
  private ended(entry: OutboxEntry, error?: ChatClientError, ack?: Frame): void {
    const k = key(entry);
    const s = this.settle.get(k);
    this.settle.delete(k);
    if (error) s?.reject(error);
    else s?.resolve(ack as Frame);
  }

  /** Takes the entry out of the outbox; false when it was out already (discarded). */
  private finish(entry: OutboxEntry, now = false): boolean {
    if (!this.all.delete(key(entry))) return false;
    const queue = this.chats.get(entry.chatId);
    if (queue?.first === entry) queue.take();
    else queue?.remove(entry);
    if (!queue?.size) this.chats.delete(entry.chatId);
    void this.changed(now);
    return true;
  }
}
