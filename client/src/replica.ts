/**
 * The local copy of the user's chats and messages, and the rules that keep it exact:
 * - a message is replaced only by a newer version of itself (higher `ver`; against servers without
 *   versions, the newer `editedAt`), and a deletion is final, so copies arriving twice, late or out
 *   of order change nothing and are counted as suppressed duplicates;
 * - the app hears of each version once (`messages`), and a version that changes nothing visible
 *   (e.g. the `ver` of one's own deletion arriving after its ack) is kept silently;
 * - the sync cursor `syncedVer` moves with `sync` answers and with live versions seen without a hole.
 * Changes are written to the store in batches, messages with the cursors they justify: one per tick,
 * or, while the store writes one, one of everything changed meanwhile once it is written.
 * One chat's state and the version rule are in chat-entry.ts; the chats removed, in gone.ts.
 *
 * About 300 lines on purpose: one class whose methods all keep the same maps, stamp and store writer
 * consistent; what stands alone already left (chat-entry.ts, gone.ts, members.ts, writer.ts), and
 * moving methods out as functions adds call sites to a bundle with 9 of its 12,288 bytes left.
 */
import type { ChatInfo, ClientStats, OutboxEntry } from './api.ts';
import { ChatEntry, newer, scheduledSend, visible } from './chat-entry.ts';
import type { Chat, ChatSummary, Message, Reaction } from './contract.ts';
import { Gone } from './gone.ts';
import { cursor, members } from './members.ts';
import type { ClientStore, StoreSnapshot } from './store.ts';
import { type StoreWriter, storeWriter } from './writer.ts';

export { ChatEntry } from './chat-entry.ts';
export { MEMBERS_LISTED_MAX } from './members.ts';

export interface ReplicaHooks {
  messages(chatId: string, messages: Message[]): void;
  chat(chatId: string, chat: ChatInfo | null): void;
  error(error: unknown): void;
}

export class Replica {
  readonly chats = new Map<string, ChatEntry>();
  me = '';
  /** Counts member lists taken from the server, and entries made (ChatEntry.stamp). */
  stamp = 0;
  /** Chats changed since the last `chat` events. */
  private told = new Set<ChatEntry>();
  /** Chats removed (deleted, left, NOT_FOUND): back by the server's word (named()), not by `stub`. */
  readonly gone = new Gone();
  private ticking?: boolean;
  private readonly writer: StoreWriter;

  constructor(
    store: ClientStore,
    private readonly hooks: ReplicaHooks,
    private readonly stats: ClientStats,
  ) {
    this.writer = storeWriter(store, hooks.error, (chatId) => this.chats.get(chatId));
  }

  load(snapshot: StoreSnapshot | null): void {
    for (const c of snapshot?.chats ?? []) this.chats.set(c.info.chatId, ChatEntry.restored(c));
    for (const m of snapshot?.messages ?? []) {
      const e = this.chats.get(m.chatId);
      if (!e) continue;
      e.bySeq.set(m.seq, m);
      e.maxSeq = Math.max(e.maxSeq, m.seq);
    }
  }

  /** The user of the socket that opened; the first time, othersSeq (not stored) from the messages held. */
  user(me: string): void {
    if (me !== this.me)
      for (const e of this.chats.values())
        for (const m of e.bySeq.values()) if (m.senderId !== me) e.othersSeq = Math.max(e.othersSeq, m.seq);
    this.me = me;
  }

  /** The chat an event or an ack names: held, else a stub to load; none if it is gone. */
  stub(chatId: string): ChatEntry | undefined {
    return this.gone.has(chatId) ? undefined : this.ensure(chatId);
  }

  private ensure(chatId: string): ChatEntry {
    let e = this.chats.get(chatId);
    if (!e) {
      e = ChatEntry.stub(chatId);
      e.stamp = ++this.stamp;
      this.chats.set(chatId, e);
      this.writer.unsaved.removed.delete(chatId);
      this.touch(e);
    }
    return e;
  }

  /**
   * A chat as listChats lists it. Its `unreadCount` is the server's (voids left out), from its read
   * cursor up to its `lastSeq`; others' messages held above that are added, and a read cursor held
   * ahead of the listed one takes off what it read.
   */
  summary(s: ChatSummary, since: number): ChatEntry | undefined {
    const e = this.named(s, since);
    if (!e) return;
    e.at = s.lastMessage?.createdAt;
    e.counted(s, this.me);
    e.info.lastVer = Math.max(e.info.lastVer, s.lastVer);
    // Your own member entry reads as far as the listing says (you read on another device meanwhile);
    // forward only, as events move it (and it marks the chat changed).
    cursor(this, e, this.me, 'lastReadSeq', s.lastReadSeq);
    return e;
  }

  /** A Chat: an event's, or a `getChat` answer (live.ts). */
  chat(c: Chat): ChatEntry | undefined {
    const e = this.named(c);
    if (!e) return;
    const i = e.info;
    i.lastVer = Math.max(i.lastVer, c.lastVer);
    i.lastSeq = Math.max(i.lastSeq, c.lastSeq);
    // A server without memberCount lists every member.
    members(this, e, c.members, typeof c.memberCount === 'number' ? c.memberCount : c.members.length);
    return e;
  }

  /** The chat as the server names it (listChats, sent at `since`, or a Chat). */
  private named(c: Chat | ChatSummary, since?: number): ChatEntry | undefined {
    if (!this.gone.back(c, since)) return;
    const e = this.ensure(c.chatId);
    Object.assign(e.info, { kind: c.kind, name: c.name, ownerId: c.ownerId, peerId: c.peerId });
    e.stub = false;
    return e;
  }

  /** The chat is gone (`ver`: its `member.left`'s): not back by a Chat from before (gone.ts). */
  remove(chatId: string, ver = 0): void {
    const e = this.chats.get(chatId);
    this.gone.went(chatId, Math.max(ver, e?.info.lastVer ?? 0));
    if (!e) return;
    this.chats.delete(chatId);
    // (Its changes not written yet are left out of the batch: the writer writes only chats held.)
    this.writer.unsaved.removed.add(chatId);
    this.touch();
    this.hooks.chat(chatId, null);
  }

  /** Applies messages (events, acks, sync or history pages; `same`: a renewed URL); tells the app. */
  apply(e: ChatEntry, incoming: readonly Message[], same = false): void {
    const out: Message[] = [];
    for (const m of incoming) {
      const held = e.bySeq.get(m.seq);
      if (held && !same && !newer(m, held)) this.stats.duplicatesSuppressed++;
      else this.put(e, m, held, out);
      if (m.ver) this.seen(e, m.ver);
    }
    this.emit(e, out);
  }

  /** `message.deleted` (with its version), or the ack of one's own delete (without). */
  deleted(e: ChatEntry, seq: number, ver: number | undefined): void {
    this.change(e, seq, ver, (held) => ({
      ...held,
      text: '',
      deleted: true,
      attachments: [],
      reactions: [],
    }));
  }

  /**
   * `message.reacted` carries the reactions, not the text. When versions lie between the message's
   * and its own above the cursor (an edit of the message may be one, still on its way, or lost), it
   * takes the reactions but neither claims nor marks seen its version: the edit still applies, and
   * a catch-up (`missed`) brings the message whole.
   */
  reacted(e: ChatEntry, seq: number, ver: number | undefined, reactions: Reaction[]): void {
    // A deleted message has no reactions (the server clears them): a late reaction event changes nothing.
    this.change(e, seq, ver, (held) => (held.deleted ? held : { ...held, reactions }), true);
  }

  private change(
    e: ChatEntry,
    seq: number,
    ver: number | undefined,
    edit: (held: Message) => Message,
    partial?: boolean,
  ): void {
    const held = e.bySeq.get(seq);
    const out: Message[] = [];
    // Not held (yet): the version stays unseen, and a catch-up brings the message as it is now.
    if (!held) {
      e.missed = true;
      return;
    }
    if (ver === undefined ? held.deleted : ver <= held.ver) this.stats.duplicatesSuppressed++;
    else {
      if (partial && ver && ver > Math.max(held.ver, e.syncedVer) + 1) {
        e.missed = true;
        ver = 0;
      }
      this.put(e, { ...edit(held), ver: ver || held.ver }, held, out);
    }
    if (ver) this.seen(e, ver);
    this.emit(e, out);
  }

  /** A version was seen live: the cursor moves over every version seen without a hole. */
  seen(e: ChatEntry, ver: number): void {
    if (ver <= e.syncedVer) return;
    e.above.add(ver);
    this.advance(e, e.syncedVer);
  }

  /**
   * A sync answered `reset`: drop every message and cursor held of the chat (the store forgets them
   * in a batch of its own), to reload it with `history` and then `rewind` to the answer's `lastVer`.
   */
  reset(e: ChatEntry): void {
    e.clear(this.me);
    const chatId = e.info.chatId;
    const unsaved = this.writer.unsaved;
    unsaved.dirty.delete(e);
    unsaved.messages = unsaved.messages.filter((m) => m.chatId !== chatId);
    unsaved.removed.add(chatId);
    this.touch();
    this.writer.batch(true);
    this.touch(e);
  }

  /** The cursor a `reset` answer names, after the reload: exactly it, also when lower than held. */
  rewind(e: ChatEntry, ver: number): void {
    e.rewind(ver);
    this.advance(e, ver);
    this.touch(e);
  }

  /** The cursor a `sync` answer justifies. */
  advance(e: ChatEntry, ver: number): void {
    const before = e.syncedVer;
    e.syncedVer = Math.max(e.syncedVer, ver);
    for (const v of e.above) if (v <= e.syncedVer) e.above.delete(v);
    while (e.above.delete(e.syncedVer + 1)) e.syncedVer++;
    if (e.syncedVer !== before) {
      e.info.lastVer = Math.max(e.info.lastVer, e.syncedVer);
      this.touch(e);
    }
  }

  markLoaded(e: ChatEntry): void {
    e.loaded = true;
    this.touch(e);
  }

  receipted(e: ChatEntry, seq: number): void {
    e.deliveredSeq = Math.max(e.deliveredSeq, seq);
    cursor(this, e, this.me, 'lastDeliveredSeq', seq);
  }

  /**
   * The outbox changed: `entries` gives it whole when the next batch is built (once per batch; when
   * `now`, also during the wait after a failed save). Resolves once that batch is written or failed.
   */
  saveOutbox(entries: () => readonly OutboxEntry[], now: boolean): Promise<void> {
    this.writer.unsaved.outbox = entries;
    if (now) this.writer.hurry();
    this.touch();
    return this.writer.until(this.writer.built + 1);
  }

  /** Resolves once every change so far is written to the store. */
  idle(last?: boolean): Promise<void> {
    this.writer.batch(true, last);
    return this.writer.until(this.writer.built);
  }

  private put(e: ChatEntry, m: Message, held: Message | undefined, out: Message[]): void {
    e.bySeq.set(m.seq, m);
    this.writer.unsaved.messages.push(m);
    if (!held || visible(held) !== visible(m)) out.push(m);
    e.maxSeq = Math.max(e.maxSeq, m.seq);
    if (!held) e.arrived(m, this.me);
    if (m.senderId !== this.me) e.othersSeq = Math.max(e.othersSeq, m.seq);
    // Sending moves the sender's read cursor to the message (no message.read); a scheduled one's not.
    if (!scheduledSend(m)) cursor(this, e, m.senderId, 'lastReadSeq', m.seq);
    while (e.bySeq.has(e.contigSeq + 1)) e.contigSeq++;
    e.info.lastVer = Math.max(e.info.lastVer, m.ver);
    e.info.lastSeq = Math.max(e.info.lastSeq, m.seq);
    this.touch(e);
  }

  private emit(e: ChatEntry, out: Message[]): void {
    if (out.length > 0 && this.holds(e)) this.hooks.messages(e.info.chatId, out);
  }

  /** Whether `e` is the entry held of its chat (not one removed, or replaced since). */
  holds(e: ChatEntry): boolean {
    return this.chats.get(e.info.chatId) === e;
  }

  /** The chat changed (or, without one, the store has something to write): written, and told, next tick. */
  touch(e?: ChatEntry): void {
    if (e) {
      this.writer.unsaved.dirty.add(e);
      this.told.add(e);
    }
    this.writer.unsaved.any = true;
    if (this.ticking) return;
    this.ticking = true;
    void Promise.resolve().then(() => this.tick());
  }

  /** Once a tick: the app hears of the chats that changed; a batch is built unless one is being written. */
  private tick(): void {
    this.ticking = false;
    const told = [...this.told].filter((e) => this.holds(e));
    this.told.clear();
    for (const e of told) this.hooks.chat(e.info.chatId, { ...e.info });
    this.writer.batch(false);
  }
}
