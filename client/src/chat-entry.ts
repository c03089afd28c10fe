/**
 * One chat of the replica (replica.ts): its info, the messages held by seq, and the cursors that
 * say what is held without a hole; plus the version rule (`newer`) that decides whether an incoming
 * copy of a message replaces the one held.
 */
import type { ChatInfo } from './api.ts';
import type { Message } from './contract.ts';
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
  /** Known only from an event so far: name, kind and owner still to fetch. */
  stub = false;
  membersStale = false;
  /** A change named a message not held: catch up. */
  missed = false;
  readonly bySeq = new Map<number, Message>();
  /** Versions seen live above `syncedVer`, waiting for the hole below them to fill. */
  readonly above = new Set<number>();
  // Owned by the syncer.
  running: Promise<void> | undefined;
  again = false;
  retries = 0;
  gapTimer: TimerId;
  deliverTimer: TimerId;
  deliveredAt = 0;

  constructor(public info: ChatInfo) {}

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
}

/** What the app sees of a message: all but its version. */
export const visible = (m: Message): string => JSON.stringify({ ...m, ver: 0 });

/** Whether `incoming` replaces the `held` copy of the same message. */
export function newer(incoming: Message, held: Message): boolean {
  // A deletion is final (no edit or reaction follows it): nothing older brings the text back, also
  // when one's own delete was applied from its ack, which carries no version.
  if (held.deleted && !incoming.deleted) return false;
  if (incoming.ver || held.ver) return incoming.ver > held.ver;
  return !held.deleted && (incoming.deleted || (incoming.editedAt ?? '') > (held.editedAt ?? ''));
}

/** What the store keeps of a chat. */
export function stored(e: ChatEntry): StoredChat {
  const { syncedVer, contigSeq, deliveredSeq, loaded } = e;
  return { info: { ...e.info }, syncedVer, contigSeq, deliveredSeq, loaded };
}
