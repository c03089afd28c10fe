/**
 * The container's cache of chat heads (the `META` item and the members), keyed by chatId and tagged
 * with the `memberVer` they were read at. A sender that finds its chat here skips the read: its
 * allocation requires `memberVer` to be unchanged, so a stale entry is caught by the write itself
 * and never trusted for anything that matters. Least recently used entries go first; the bound is
 * on members held, so a few big groups cannot take all the memory.
 */
import type { ChatWithMembers } from './chats.ts';
import type { ChatRecord, MemberRecord } from './items.ts';

export interface ChatHead {
  readonly chat: ChatRecord;
  readonly members: readonly MemberRecord[];
}

export interface HeadCacheOptions {
  /** Chats held at most. @default 1000 */
  readonly maxChats?: number;
  /** Members held at most over all chats (about 200 bytes each). @default 50,000 */
  readonly maxMembers?: number;
}

export class ChatHeadCache {
  readonly #entries = new Map<string, ChatHead>();
  readonly #maxChats: number;
  readonly #maxMembers: number;
  #members = 0;

  constructor(options: HeadCacheOptions = {}) {
    this.#maxChats = options.maxChats ?? 1000;
    this.#maxMembers = options.maxMembers ?? 50_000;
  }

  /** The cached head of a chat (and marks it recently used). */
  get(chatId: string): ChatHead | undefined {
    const head = this.#entries.get(chatId);
    if (head) {
      this.#entries.delete(chatId);
      this.#entries.set(chatId, head);
    }
    return head;
  }

  /** Caches what a read found; a chat that does not exist is forgotten. */
  remember(chatId: string, loaded: ChatWithMembers): void {
    this.forget(chatId);
    if (!loaded.chat || loaded.members.length > this.#maxMembers) return;
    this.#entries.set(chatId, { chat: loaded.chat, members: loaded.members });
    this.#members += loaded.members.length;
    for (const [oldest, head] of this.#entries) {
      if (this.#entries.size <= this.#maxChats && this.#members <= this.#maxMembers) break;
      this.#entries.delete(oldest);
      this.#members -= head.members.length;
    }
  }

  /** Keeps a cached head's counters current after an allocation (no effect when not cached). */
  noteAllocated(chatId: string, lastSeq: number, lastVer: number): void {
    const head = this.#entries.get(chatId);
    if (head && lastSeq > head.chat.lastSeq) {
      this.#entries.set(chatId, { ...head, chat: { ...head.chat, lastSeq, lastVer } });
    }
  }

  forget(chatId: string): void {
    const head = this.#entries.get(chatId);
    if (!head) return;
    this.#entries.delete(chatId);
    this.#members -= head.members.length;
  }

  get size(): number {
    return this.#entries.size;
  }
}
