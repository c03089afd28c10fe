/**
 * One chat of the replica (replica.ts): its info, the messages held by seq, and the cursors that
 * say what is held without a hole; plus the version rule (`newer`) that decides whether an incoming
 * copy of a message replaces the one held.
 */
import type { ChatInfo } from './api.ts';
import type { ChatSummary, Member, Message } from './contract.ts';
import type { StoredChat } from './store.ts';
import type { TimerId } from './util.ts';

export class ChatEntry {
  syncedVer = 0;
  contigSeq = 0;
  deliveredSeq = 0;
  loaded = false;
  /** Highest seq held, and highest seq held of a message by someone else. */
  maxSeq = 0;
  othersSeq = 0;
  /**
   * The `lastSeq` of the server's `unreadCount` held (listChats): seqs up to it are in that count,
   * void ones (abandoned seqs the server filled) not; messages above it are counted as they arrive.
   */
  countedSeq = 0;
  /**
   * When `info.members` was last taken from the server, or the entry made (Replica.stamp): the answer
   * of a `getChat` sent before is not taken (live.ts applyRequest).
   */
  stamp = 0;
  /**
   * The `stamp` of the last member list a `sync` gave: while `stamp` is still that, the list held may
   * be the server's cached one, others' cursors not fresh (receipts.ts).
   */
  synced?: number;
  // The flags below start unset, which reads as false (no initializer: a few bytes of the bundle).
  /** Known only from an event so far: name, kind and owner still to fetch. */
  stub?: boolean;
  stale?: boolean;
  /**
   * The Replica.stamp of its last `chat.joined` (invited, maybe back after leaving), or of a member
   * list listing you as joined later than held (members.ts rejoined): the ack of a leave asked for
   * before it does not remove the chat.
   */
  joined?: number;
  /** A change named a message not held, or a reaction past an unseen version: catch up. */
  missed?: boolean;
  /**
   * When its newest message was sent, as listChats listed it: the chat list's order holds from the
   * listing on, while the chats' messages still arrive (rows do not jump under the user's pointer).
   */
  at?: string;
  readonly bySeq = new Map<number, Message>();
  /** Versions seen live above `syncedVer`, waiting for the hole below them to fill. */
  readonly above = new Set<number>();
  // Owned by the syncer.
  running: Promise<unknown> | undefined;
  again?: boolean;
  tries = 0;
  gapTimer: TimerId;
  /** A receipt of it is on its way (receipts.ts): one at a time. */
  delivering?: boolean;
  /**
   * The user's message its receipts were last refreshed for, after a reconnect: a getChat answer was
   * taken (receipts.ts).
   */
  refreshed?: number;
  /** When the last receipt went (util.clock). */
  deliveredAt = -Infinity;
  /** Receipts in a row that failed for a reason that passes: each doubles the wait before the next. */
  deliverFailures = 0;

  constructor(public info: ChatInfo) {}

  /** When its newest message was sent: the newest held, or the listed one if later. */
  newest(): string {
    const held = this.bySeq.get(this.maxSeq)?.createdAt ?? '';
    const at = this.at ?? '';
    // biome-ignore lint/complexity/useMathMinMax: strings (ISO 8601 times, in order as strings)
    return held < at ? at : held;
  }

  /** A chat known only by its id so far (from an event). */
  static stub(chatId: string): ChatEntry {
    const e = new ChatEntry({
      chatId,
      kind: 'group',
      name: null,
      ownerId: '',
      members: null,
      memberCount: 0,
      lastSeq: 0,
      lastVer: 0,
      lastReadSeq: 0,
      unreadCount: 0,
      mutedUntil: null,
    });
    e.stub = true;
    return e;
  }

  /** A chat as the store kept it (its messages are added after). */
  static restored(c: StoredChat): ChatEntry {
    const e = Object.assign(new ChatEntry(c.info), c);
    // The unread count stored is whole up to the seq stored with it.
    e.countedSeq = c.info.lastSeq;
    return e;
  }

  /**
   * Something not received yet: a version below one seen, a version the server named (`lastVer` of
   * listChats or a chat event) beyond the cursor — e.g. a change still settling when the last sync
   * answered — or, without versions, a seq below one seen or named (`lastSeq`).
   */
  get hasGap(): boolean {
    return (
      this.missed ||
      this.above.size > 0 ||
      (this.loaded && this.info.lastVer > this.syncedVer) ||
      (this.info.lastVer === 0 && Math.max(this.maxSeq, this.loaded ? this.info.lastSeq : 0) > this.contigSeq)
    );
  }

  /**
   * The user read up to `seq`: the unread count loses what it counted up to there — every seq the
   * server's count covers but voids (not held once the chat is held whole; unknown before, so
   * counted) and the user's own scheduled messages (the server counts none), and above it the
   * messages of others held. Never recomputed from `lastSeq`: the server's
   * count leaves voids out. Whether the cursor moved.
   */
  readTo(seq: number, me: string): boolean {
    const from = this.info.lastReadSeq;
    if (seq <= from) return false;
    this.info.lastReadSeq = seq;
    if (seq >= this.info.lastSeq) {
      this.info.unreadCount = 0;
      return true;
    }
    const whole = this.loaded && !this.hasGap;
    let read = 0;
    for (let s = from + 1; s <= seq; s++) {
      const m = this.bySeq.get(s);
      if (s <= this.countedSeq ? (m ? !ownScheduled(m, me) : !whole) : m && m.senderId !== me) read++;
    }
    this.info.unreadCount = Math.max(0, this.info.unreadCount - read);
    return true;
  }

  /**
   * The chat's counts, read cursor and mute as listChats lists them. The unread count: the server's
   * (voids left out) from its read cursor up to its `lastSeq`, plus others' messages held above
   * that, less what a read cursor held ahead read.
   */
  counted(s: ChatSummary, me: string): void {
    const i = this.info;
    const read = i.lastReadSeq;
    Object.assign(i, {
      unreadCount: s.unreadCount,
      lastReadSeq: s.lastReadSeq,
      memberCount: s.memberCount,
      mutedUntil: s.mutedUntil,
    });
    this.countedSeq = s.lastSeq;
    for (let seq = s.lastSeq + 1; seq <= i.lastSeq; seq++) {
      const m = this.bySeq.get(seq);
      if (m) this.arrived(m, me);
    }
    i.lastSeq = Math.max(i.lastSeq, s.lastSeq);
    this.readTo(read, me);
  }

  /** A message not held before arrived: one more unread if it is someone else's, above the count. */
  arrived(m: Message, me: string): void {
    if (this.countedAbove(m, me)) this.info.unreadCount++;
  }

  /** Whether `m` counts as unread on top of the listed count (what `arrived` adds, `clear` takes off). */
  private countedAbove(m: Message, me: string): boolean {
    return m.senderId !== me && m.seq > this.countedSeq && m.seq > this.info.lastReadSeq;
  }

  /** Drops every message and cursor held (a sync `reset`): the chat is reloaded from the start. */
  clear(me: string): void {
    // The unread counted above the listed seq comes back with the reload (`arrived`): off for now.
    for (const m of this.bySeq.values()) if (this.countedAbove(m, me)) this.info.unreadCount--;
    this.info.unreadCount = Math.max(0, this.info.unreadCount);
    this.bySeq.clear();
    this.above.clear();
    Object.assign(this, {
      syncedVer: 0,
      contigSeq: 0,
      deliveredSeq: 0,
      maxSeq: 0,
      othersSeq: 0,
      loaded: false,
      missed: false,
    });
  }

  /** After a reset's reload: the cursor is exactly `ver`; the chat's versions and seqs, what is held. */
  rewind(ver: number): void {
    this.syncedVer = ver;
    let lastVer = ver;
    for (const m of this.bySeq.values()) lastVer = Math.max(lastVer, m.ver);
    this.info.lastVer = lastVer;
    this.info.lastSeq = Math.max(this.maxSeq, this.countedSeq);
  }
}

/** What the app sees of a message: all but its version. */
/**
 * A scheduled message going out (its clientMessageId starts with `sched_`: the contract's
 * SCHEDULED_SEND_PREFIX): it moves no read cursor, its author's included (docs/protocol.md, Scheduled
 * messages).
 */
export const scheduledSend = (m: Message): boolean => m.clientMessageId?.startsWith('sched_') === true;
const ownScheduled = (m: Message, me: string): boolean => m.senderId === me && scheduledSend(m);

export const visible = (m: Message): string => JSON.stringify({ ...m, ver: 0 });

/** Whether `incoming` replaces the `held` copy of the same message. */
export function newer(incoming: Message, held: Message): boolean {
  // A deletion is final (no edit or reaction follows it): nothing older brings the text back, also
  // when one's own delete was applied from its ack, which carries no version.
  if (held.deleted && !incoming.deleted) return false;
  if (incoming.ver || held.ver) return incoming.ver > held.ver;
  return !held.deleted && (incoming.deleted || (incoming.editedAt ?? '') > (held.editedAt ?? ''));
}

/**
 * A member list from the server over the one held: cursors move forward only (events may be newer);
 * the owner is the member listed as owner.
 */
export function forward(i: ChatInfo, members: readonly Member[]): void {
  const before = new Map((i.members ?? []).map((m) => [m.userId, m]));
  i.members = members.map((m) => {
    if (m.role === 'owner') i.ownerId = m.userId;
    const h = before.get(m.userId);
    return h
      ? {
          ...m,
          lastReadSeq: Math.max(m.lastReadSeq, h.lastReadSeq),
          lastDeliveredSeq: Math.max(m.lastDeliveredSeq, h.lastDeliveredSeq),
        }
      : m;
  });
}

/** What the store keeps of a chat. */
export const stored = ({ info, syncedVer, contigSeq, deliveredSeq, loaded }: ChatEntry): StoredChat => ({
  info: { ...info },
  syncedVer,
  contigSeq,
  deliveredSeq,
  loaded,
});
