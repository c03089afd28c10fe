/**
 * Where the client keeps its state between runs. Two calls: `load` once at start, and `save` with a
 * batch of changes. Implement it over AsyncStorage, IndexedDB or SQLite (docs/react-native.md has an
 * AsyncStorage one). Write a batch in one transaction when the storage has them; otherwise write the
 * messages before the chats: a chat's cursor (`syncedVer`) must never be stored ahead of its messages.
 * `load` returns plain objects, as `JSON.parse` gives them: the client copies a stored chat's own
 * enumerable fields, so fields a class gives as getters (an ORM row, say) would be lost.
 */
import type { ChatInfo, OutboxEntry } from './api.ts';
import type { Message } from './contract.ts';

/** A chat with the client's cursors; from `load`, a plain object (its fields its own, no getters). */
export interface StoredChat {
  readonly info: ChatInfo;
  /** Every change up to this version is applied (the `sync` cursor). */
  readonly syncedVer: number;
  /** Every message up to this seq is held (catch-up against servers without `sync`). */
  readonly contigSeq: number;
  /** The last seq reported with `markDelivered`. */
  readonly deliveredSeq: number;
  /** The first full load finished. */
  readonly loaded: boolean;
}

export interface StoreSnapshot {
  readonly chats: readonly StoredChat[];
  readonly messages: readonly Message[];
  readonly outbox: readonly OutboxEntry[];
}

export interface StoreChanges {
  /** Chats to insert or replace. */
  readonly chats: readonly StoredChat[];
  /** Chats to forget, with all their messages. */
  readonly removedChats: readonly string[];
  /** Messages to insert or replace (key: chatId + seq). */
  readonly messages: readonly Message[];
  /** The whole outbox, when it changed. */
  readonly outbox?: readonly OutboxEntry[];
}

export interface ClientStore {
  load(): Promise<StoreSnapshot | null>;
  save(changes: StoreChanges): Promise<void>;
}

/** The default store: in memory, lost when the process ends. Share one to resume a client in tests. */
export class MemoryStore implements ClientStore {
  readonly chats = new Map<string, StoredChat>();
  readonly messages = new Map<string, Map<number, Message>>();
  outbox: OutboxEntry[] = [];

  async load(): Promise<StoreSnapshot | null> {
    if (this.chats.size === 0 && this.outbox.length === 0) return null;
    return copy({
      chats: [...this.chats.values()],
      messages: [...this.messages.values()].flatMap((m) => [...m.values()]),
      outbox: this.outbox,
    });
  }

  async save(changes: StoreChanges): Promise<void> {
    const c = copy(changes);
    for (const chatId of c.removedChats) {
      this.chats.delete(chatId);
      this.messages.delete(chatId);
    }
    for (const m of c.messages) {
      const chat = this.messages.get(m.chatId) ?? new Map<number, Message>();
      this.messages.set(m.chatId, chat.set(m.seq, m));
    }
    for (const chat of c.chats) this.chats.set(chat.info.chatId, chat);
    if (c.outbox) this.outbox = [...c.outbox];
  }
}

const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
