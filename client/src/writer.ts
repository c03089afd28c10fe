/**
 * The replica's changes not yet written (replica.ts records them in `unsaved`), and their writing:
 * one batch at a time, in order. While a save is in flight no batch is built (except one that must
 * stand alone: `batch(true)`): what changes meanwhile goes in one batch once the save is written, so
 * a burst costs a few saves, not one per change, and a slow store gets fewer, larger batches. (A
 * closure, not a class: the bundle targets ES2020, where private fields cost a helper call each.)
 */
import type { OutboxEntry } from './api.ts';
import { type ChatEntry, stored } from './chat-entry.ts';
import type { Message } from './contract.ts';
import type { ClientStore, StoreChanges } from './store.ts';

export interface Unsaved {
  /** Chats changed, chats removed, messages put. */
  dirty: Set<ChatEntry>;
  removed: Set<string>;
  messages: Message[];
  /** The outbox changed: it gives the entries when the batch is built. */
  outbox?: () => readonly OutboxEntry[];
  /** Anything changed. */
  any: boolean;
}

export interface StoreWriter {
  readonly unsaved: Unsaved;
  /** Builds a batch of what is unsaved (when `now`, also while a save is in flight). */
  batch(now: boolean): void;
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
  const batches: StoreChanges[] = [];
  let waiters: [batch: number, resolve: () => void][] = [];
  let saving = false;
  let written = 0;
  const w = {
    unsaved: fresh(),
    built: 0,
    batch(now: boolean) {
      const { dirty, removed, messages, outbox, any } = w.unsaved;
      if (!any || (saving && !now)) return;
      w.unsaved = fresh();
      batches.push({
        chats: [...dirty].filter((e) => held(e.info.chatId) === e).map(stored),
        removedChats: [...removed],
        messages: messages.filter((m) => held(m.chatId)),
        ...(outbox ? { outbox: outbox() } : {}),
      });
      w.built++;
      write();
    },
    until: (batch: number): Promise<void> =>
      batch <= written ? Promise.resolve() : new Promise((resolve) => waiters.push([batch, resolve])),
  };
  const write = (): void => {
    const changes = saving ? undefined : batches.shift();
    if (!changes) return;
    saving = true;
    void Promise.resolve()
      .then(() => store.save(changes))
      .catch((e: unknown) => {
        try {
          error(e);
        } catch {
          // The app's logger failed too: the writing goes on (a send waits for it).
        }
      })
      .then(() => {
        saving = false;
        written++;
        for (const [batch, resolve] of waiters) if (batch <= written) resolve();
        waiters = waiters.filter(([batch]) => batch > written);
        write();
        w.batch(false);
      });
  };
  return w;
}
