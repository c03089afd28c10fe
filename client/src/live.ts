/**
 * Server events into the replica: messages by version, deletions and reactions, read and delivery
 * cursors, chats appearing and going away, your mutes from other devices; then the syncer's checks
 * (holes, delivery receipts), or a catch-up when the event names a chat not loaded yet or changes its
 * members. The acks of one's own writes (from the outbox) change the replica the same way, and so do
 * those of a few requests.
 */

import type { OutboxEntry } from './api.ts';
import type { Frame } from './connection.ts';
import type { Chat, EventFrame, Message } from './contract.ts';
import { cursor, memberLeft, rejoined } from './members.ts';
import type { ChatEntry, Replica } from './replica.ts';

export interface LiveHooks {
  catchUp(e: ChatEntry): Promise<unknown>;
  changed(e: ChatEntry): void;
}

export function applyEvent(frame: Frame, r: Replica, sync: LiveHooks): void {
  const f = frame as EventFrame & { chatId?: string; message?: Message; chat?: Chat };
  // The chat it names: its chatId, its message's or its Chat's (scheduled.* and presence name none).
  const chatId = (f.message ?? f.chat ?? f).chatId;
  const known = r.chats.get(chatId as string);
  switch (f.type) {
    case 'chat.created':
    case 'chat.joined': {
      // A late repeat (events are at least once) of a chat held is older than it: not taken, as a
      // lagging getChat answer (applyRequest); a stub (held from an ack) takes its name. Nor one from
      // before you left (no newer than the leave). Nor is a repeat counted as being invited back
      // (`joined`); but a Chat behind only because a message written after the invitation came first
      // is the invitation: it lists you with a later joinedAt than held (members.ts rejoined).
      if (known && !known.stub && behind(known, f.chat)) return void rejoined(r, known, f.chat.members);
      const e = r.chat(f.chat);
      if (!e) return;
      if (f.type === 'chat.joined') e.joined = r.stamp;
      // A new chat without messages needs no load: its version is where its history starts.
      if (f.type === 'chat.created' && f.chat.lastSeq === 0 && !e.loaded) {
        r.advance(e, f.chat.lastVer);
        r.markLoaded(e);
      }
      if (e.loaded) sync.changed(e);
      else void sync.catchUp(e);
      return;
    }
    case 'chat.deleted':
      r.remove(f.chatId);
      return;
    case 'member.left':
      if (f.userId !== r.me) break;
      // A repeat of one's own leave (at least once delivery) at a version the chat held has passed
      // (joined again since) is ignored.
      if (!(f.ver <= (known?.info.lastVer as number))) r.remove(f.chatId, f.ver);
      return;
    case 'presence':
    case 'typing':
      return;
  }
  if (chatId === undefined || f.type.startsWith('scheduled.')) return;
  if (!known && (f.type === 'message.read' || f.type === 'message.delivered')) return;
  // A chat just left or deleted is gone: not brought back by an event that came late.
  const e = known ?? r.stub(chatId);
  if (!e) return;
  switch (f.type) {
    case 'message.created':
    case 'message.updated':
      r.apply(e, [f.message]);
      break;
    case 'message.deleted':
      r.deleted(e, f.seq, f.ver);
      break;
    case 'message.reacted':
      r.reacted(e, f.seq, f.ver, f.reactions);
      break;
    case 'message.read':
      cursor(r, e, f.userId, 'lastReadSeq', f.lastReadSeq);
      break;
    case 'message.delivered':
      cursor(r, e, f.userId, 'lastDeliveredSeq', f.lastDeliveredSeq);
      break;
    case 'chat.muted':
      // Your mute from another device; nothing orders it against your own ack or a listing (the
      // last to arrive holds: docs/protocol.md, muteChat).
      e.info.mutedUntil = f.mutedUntil;
      r.touch(e);
      break;
    case 'member.left':
      // A leave a catch-up already counted (its version synced, or seen) is not taken off again. One
      // that leaves the list held as it is (a big group's, not naming them) needs no sync: its
      // version is seen (a hole below it is caught up as any), unless a catch-up is running: its
      // answer may predate the leave and put the count back, so another runs after it.
      if (typeof f.ver === 'number' && (f.ver <= e.syncedVer || e.above.has(f.ver))) return;
      if (!memberLeft(r, e, f.userId) || !f.ver || e.running) return void sync.catchUp(e);
      r.seen(e, f.ver);
      break;
    case 'member.joined':
      e.stale = true;
      return void sync.catchUp(e);
  }
  if (!e.loaded || e.stub) return void sync.catchUp(e);
  sync.changed(e);
}

/**
 * A request's ack changes the replica where no event does (or not before it). You left the chat
 * (removeMember of yourself) or deleted it: it is gone now, not at its event; unless you were invited
 * back meanwhile (its chat.joined, or a member list listing you as joined later, came after the
 * request, sent at `stamp`, before the ack: ChatEntry.joined). Your mute:
 * the chat held shows it as the next listChats will. A `getChat` answer (the app's, or the syncer's:
 * its requests come through here too) updates the chat held, members and cursors, as a Chat from an
 * event; but not a chat not held (gone, or never listed: listChats and events bring chats), nor an
 * entry made or a member list taken from the server after the request went (ChatEntry.stamp: the
 * answer may be older, or predate a leave and a return), nor an answer behind the version held
 * (getChat reads eventually consistently: a lagging copy may miss a join or a leave seen since). Not
 * without `sync` (the client keeps no copy).
 */
export function applyRequest(
  action: string,
  fields: object,
  ack: Frame,
  r: Replica,
  stamp: number,
  sync?: LiveHooks,
): void {
  const f = fields as { chatId: string; userId?: string };
  const e = r.chats.get(f.chatId);
  const mine = action === 'removeMember' && f.userId === r.me;
  if (action === 'deleteChat' || (mine && !((e?.joined as number) > stamp))) r.remove(f.chatId);
  if (!e) return;
  if (action === 'muteChat') {
    e.info.mutedUntil = ack.mutedUntil as string | null;
    r.touch(e);
  }
  const chat = ack.chat as Chat;
  if (sync && action === 'getChat' && e.stamp <= stamp && !behind(e, chat)) {
    r.chat(chat);
    sync.changed(e);
  }
}

/** A Chat older than the chat held (its version behind the one held, or synced). */
const behind = (e: ChatEntry, c: Chat): boolean => c.lastVer < Math.max(e.info.lastVer, e.syncedVer);

/** An outbox ack changes the replica like the matching event would. */
export function applyAck(entry: OutboxEntry, ack: Frame, r: Replica, sync: LiveHooks): void {
  const message = ack.message as Message | undefined;
  // A chat not held yet (a new group's chat.created may come after the ack of one's first message)
  // is held from the ack: its version above the cursor is a hole, which the chat.created fills, or
  // else a catch-up. Not one just left or deleted (gone).
  const e = message ? r.stub(entry.chatId) : r.chats.get(entry.chatId);
  if (!e) return;
  if (message) r.apply(e, [message]);
  else if (entry.action === 'deleteMessage') {
    const held = [...e.bySeq.values()].find((m) => m.messageId === entry.fields.messageId);
    if (held) r.deleted(e, held.seq, undefined);
  }
  sync.changed(e);
}
