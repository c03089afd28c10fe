/**
 * The replica's changes not yet written (replica.ts records them in `unsaved`), and their writing:
 * one batch at a time, in order. While a save is in flight no batch is built (except one that must
 * stand alone, or a flush: `batch(true)`): what changes meanwhile goes in one batch once the save is
 * written, so a burst costs a few saves, not one per change, and a slow store gets fewer, larger
 * batches. A failed save is written again (see write()), after a wait that doubles with each
 * failure in a row (FIRST_RETRY_MS up to LAST_RETRY_MS; a success ends it): a broken storage is
 * not asked again on every message. (A closure, not a class: the bundle targets ES2020, where
 * private fields cost a helper call each.)
 */
import type { OutboxEntry } from './api.ts';
import { type ChatEntry, stored } from './chat-entry.ts';
import type { Message } from './contract.ts';
import type { ClientStore, StoreChanges } from './store.ts';
import { cancel, later, type TimerId } from './util.ts';

/** The wait after a failed save, doubling with each failure in a row up to the last. */
export const FIRST_RETRY_MS = 1000;
export const LAST_RETRY_MS = 30_000;

export interface Unsaved {
  /** Chats changed, chats removed, messages put. */
  dirty: Set<ChatEntry>;
  removed: Set<string>;
  messages: Message[];
  /** The outbox changed: it gives the entries when the batch is built. */
  outbox?: () => readonly OutboxEntry[];
  /** Anything changed. */
  any: boolean;
  /** The batch built of them. */
  changes?: StoreChanges;
}

export interface StoreWriter {
  readonly unsaved: Unsaved;
  /**
   * Builds a batch of what is unsaved; when `now`, also while a save is in flight or after a failed
   * one (the wait ends: the batch is written as soon as the store is free). `last`: the client
   * closes: from now on a save that fails starts no wait (its timer would keep the process alive
   * and save again after close); what it held goes with the next change.
   */
  batch(now: boolean, last?: boolean): void;
  /**
   * Ends the wait after a failed save: the user changed the outbox, and a send waits for its save
   * (the user's own changes are few).
   */
  hurry(): void;
  /** Resolves once batch number `batch` (counting from 1) is written (or failed to be). */
  until(batch: number): Promise<void>;
  /** Batches built so far. */
  readonly built: number;
}

/** `held`: the replica's entry of a chat (a chat removed or reset meanwhile is not written). */
export function storeWriter(
  store: ClientStore,
  error: (error: unknown) => void,
  held: (chatId: string) => ChatEntry | undefined,
): StoreWriter {
  const fresh = (): Unsaved => ({ dirty: new Set(), removed: new Set(), messages: [], any: false });
  /** The changes of the batches built and not written yet. */
  let batches: Unsaved[] = [];
  let waiters: [batch: number, resolve: () => void][] = [];
  let saving: boolean | undefined;
  let written = 0;
  /**
   * Saves failed in a row; the wait after the last (its timer: `wait = cancel(wait)` ends it, as
   * cancel returns nothing); whether a batch was asked for during the save or the wait; whether
   * what is unsaved holds a change that must not wait (hurry(): a send made during a save goes in
   * the next batch at once, also if that save fails); whether the client closed (batch(_, true)).
   */
  let failures = 0;
  let wait: TimerId;
  let more: boolean | undefined;
  let urgent: boolean | undefined;
  let closed: boolean | undefined;
  const w = {
    unsaved: fresh(),
    built: 0,
    batch(now: boolean, last?: boolean) {
      if (last) closed = true;
      const u = w.unsaved;
      const { dirty, removed, messages, outbox, any } = u;
      if (!any) return;
      if (now) w.hurry();
      if (!now && (saving || wait !== undefined)) {
        more = true;
        return;
      }
      more = urgent = false;
      w.unsaved = fresh();
      // One copy of each message, its newest (a message's later copies are newer): a batch written
      // again after a failed save holds each message once, however often it changed meanwhile.
      u.messages = [...new Map(messages.filter((m) => held(m.chatId)).map((m) => [m.messageId, m])).values()];
      u.changes = {
        chats: [...dirty].filter((e) => held(e.info.chatId) === e).map(stored),
        removedChats: [...removed],
        messages: u.messages,
        ...(outbox ? { outbox: outbox() } : {}),
      };
      batches.push(u);
      w.built++;
      write();
    },
    hurry() {
      wait = cancel(wait);
      urgent = true;
    },
    until: (batch: number): Promise<void> =>
      batch <= written ? Promise.resolve() : new Promise((resolve) => waiters.push([batch, resolve])),
  };
  const write = (): void => {
    const next = saving ? undefined : batches.shift();
    if (!next) return;
    saving = true;
    void Promise.resolve()
      .then(() => store.save(next.changes as StoreChanges))
      .then(
        () => {
          written++;
          failures = 0;
          return true;
        },
        (e: unknown) => {
          // Unsaved again, in order: this batch, those built behind it (none is written ahead of it,
          // so no chat's cursor is stored ahead of its messages) and the changes since. They go
          // after the wait if changes came meanwhile (during the save or the wait), else with the
          // next change (or close()): never in a loop. An urgent one (a send made during the save)
          // takes them at once, without the wait. A chat forgotten in them but held again (a reset,
          // or joined again) is not forgotten: all it holds is in them. (Any outbox given will do:
          // it is given whole.)
          const all = [next, ...batches, w.unsaved];
          w.unsaved = {
            dirty: new Set(all.flatMap((x) => [...x.dirty])),
            removed: new Set(all.flatMap((x) => [...x.removed]).filter((id) => !held(id))),
            messages: all.flatMap((x) => x.messages),
            outbox: all.find((x) => x.outbox)?.outbox,
            any: true,
          };
          batches = [];
          written = w.built;
          if (!(urgent || closed))
            wait = later(
              () => {
                wait = undefined;
                if (more) w.batch(false);
              },
              Math.min(FIRST_RETRY_MS * 2 ** failures++, LAST_RETRY_MS),
            );
          try {
            error(e);
          } catch {
            // The app's logger failed too: the writing goes on (a send waits for it).
          }
        },
      )
      .then((saved) => {
        saving = false;
        for (const [batch, resolve] of waiters) if (batch <= written) resolve();
        waiters = waiters.filter(([batch]) => batch > written);
        write();
        if (saved || urgent) w.batch(false);
      });
  };
  return w;
}
