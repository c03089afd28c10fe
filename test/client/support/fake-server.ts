/**
 * A small in-memory model of the server for the client's unit tests: chats with versioned messages,
 * answering listChats (paged), getChat, sync (paged, members, reset), history, the message actions
 * and markDelivered over a FakeSocket. Switches turn `sync` and `markDelivered` off (UNKNOWN_ACTION),
 * like a server without the v2 change feed.
 */
import type { Chat, Member, Message } from '../../../client/src/index.ts';
import type { FakeSocket, Sent } from './fake-socket.ts';

export interface FakeChat {
  chatId: string;
  kind: 'direct' | 'group';
  name: string | null;
  ownerId: string;
  members: Member[];
  messages: Message[];
  lastVer: number;
  memberVer: number;
  createdAt: string;
}

export const TIME = '2026-12-01T18:00:00.000Z';

/** Members a Chat or a sync answer lists at most, as the real server (LIMITS.chatMembersMax). */
export const LISTED = 200;

const scheduled = (m: Message) => m.clientMessageId?.startsWith('sched_') === true;

export function member(userId: string, role: Member['role'] = 'member'): Member {
  return { userId, role, lastReadSeq: 0, lastDeliveredSeq: 0, joinedAt: TIME };
}

export class FakeServer {
  readonly chats = new Map<string, FakeChat>();
  syncSupported = true;
  /** Whether sync answers carry memberCount (servers before it did not). */
  syncMemberCount = true;
  deliveredSupported = true;
  /** Versions above this are still being written: sync neither returns them nor moves past them. */
  settledUpTo = Number.POSITIVE_INFINITY;
  /** The next sync answers reset (as when its sinceVer is older than what is kept). */
  resetNext = false;
  /** Chats listChats leaves out (as when a chat moves between pages while the client pages). */
  readonly unlisted = new Set<string>();
  /** Page size the server uses for listChats, whatever the client asks. */
  listPage = 100;
  readonly answered = new Set<string>();
  readonly log: Sent[] = [];
  readonly cmids = new Map<string, Message>();

  constructor(readonly me = 'me') {}

  chat(chatId: string, others: string[] = ['bob']): FakeChat {
    const chat: FakeChat = {
      chatId,
      kind: others.length === 1 ? 'direct' : 'group',
      name: others.length === 1 ? null : chatId,
      ownerId: this.me,
      members: [member(this.me, 'owner'), ...others.map((u) => member(u))],
      messages: [],
      lastVer: 1,
      memberVer: 1,
      createdAt: TIME,
    };
    this.chats.set(chatId, chat);
    return chat;
  }

  get(chatId: string): FakeChat {
    const chat = this.chats.get(chatId);
    if (!chat) throw new Error(`no chat ${chatId}`);
    return chat;
  }

  /** A new message; returns it (the event a live socket would get is `message.created`). */
  add(chatId: string, text: string, senderId = 'bob', clientMessageId: string | null = null): Message {
    const chat = this.get(chatId);
    const seq = chat.messages.length + 1;
    const message: Message = {
      chatId,
      messageId: `${chatId}-m${seq}`,
      seq,
      ver: this.#nextVer(chat),
      senderId,
      text,
      replyTo: null,
      clientMessageId,
      createdAt: TIME,
      editedAt: null,
      deleted: false,
      attachments: [],
      reactions: [],
    };
    chat.messages.push(message);
    return message;
  }

  edit(chatId: string, seq: number, text: string): Message {
    return this.#change(chatId, seq, { text, editedAt: TIME });
  }

  remove(chatId: string, seq: number): Message {
    return this.#change(chatId, seq, { text: '', deleted: true });
  }

  #change(chatId: string, seq: number, fields: Partial<Message>): Message {
    const chat = this.get(chatId);
    const i = chat.messages.findIndex((m) => m.seq === seq);
    const next = { ...(chat.messages[i] as Message), ...fields, ver: this.#nextVer(chat) };
    chat.messages[i] = next;
    return next;
  }

  /** The chat's next version; messages carry 0 when the server has no versions (sync off). */
  #nextVer(chat: FakeChat): number {
    chat.lastVer++;
    return this.syncSupported ? chat.lastVer : 0;
  }

  view(chat: FakeChat): Chat {
    const { chatId, kind, name, ownerId, members, lastVer, createdAt } = chat;
    const ver = this.syncSupported ? lastVer : 0;
    return {
      chatId,
      kind,
      name,
      ownerId,
      members: members.slice(0, LISTED),
      memberCount: members.length,
      lastSeq: chat.messages.length,
      lastVer: ver,
      createdAt,
    };
  }

  /** Answers every request of the socket not answered yet (except those `hold` keeps back). */
  serve(socket: FakeSocket, hold: (r: Sent) => boolean = () => false): void {
    for (const r of socket.sent) {
      if (this.answered.has(r.requestId) || hold(r)) continue;
      this.answered.add(r.requestId);
      this.log.push(r);
      const reply = this.answer(r);
      if (reply.code) socket.error(r, reply.code as string);
      else socket.ack(r, reply);
    }
  }

  requests(action: string): Sent[] {
    return this.log.filter((r) => r.action === action);
  }

  /** What the server does with a request, and the fields of its reply (`code` for an error). */
  answer(r: Sent): Record<string, unknown> {
    const chat = typeof r.chatId === 'string' ? this.chats.get(r.chatId) : undefined;
    if (r.chatId !== undefined && !chat) return { code: 'NOT_FOUND' };
    switch (r.action) {
      case 'ping':
        return {};
      case 'listChats': {
        const all = [...this.chats.values()].filter((c) => !this.unlisted.has(c.chatId));
        const from = Number(r.cursor ?? 0);
        const page = all.slice(from, from + this.listPage);
        const next = from + page.length < all.length ? String(from + page.length) : null;
        return { chats: page.map((c) => this.#summary(c)), nextCursor: next };
      }
      case 'getChat':
        return { chat: this.view(chat as FakeChat) };
      case 'sync': {
        if (!this.syncSupported) return { code: 'UNKNOWN_ACTION' };
        const c = chat as FakeChat;
        const since = r.sinceVer as number;
        if (this.resetNext) {
          this.resetNext = false;
          return {
            chatId: c.chatId,
            messages: [],
            members: null,
            ...this.#memberCount(c),
            lastVer: c.lastVer,
            hasMore: false,
            reset: true,
          };
        }
        const written = c.messages.filter((m) => m.ver <= this.settledUpTo);
        const changed = written.filter((m) => m.ver > since).sort((a, b) => a.ver - b.ver);
        const page = changed.slice(0, r.limit as number);
        const hasMore = changed.length > page.length;
        const lastVer = hasMore ? (page.at(-1) as Message).ver : Math.min(c.lastVer, this.settledUpTo);
        const members = c.memberVer > since ? c.members.slice(0, LISTED) : null;
        return {
          chatId: c.chatId,
          messages: page,
          members,
          ...this.#memberCount(c),
          lastVer,
          hasMore,
          reset: false,
        };
      }
      case 'history': {
        const c = chat as FakeChat;
        const after = (r.after as number | undefined) ?? 0;
        const rest = c.messages.filter((m) => m.seq > after);
        const page = rest.slice(0, r.limit as number);
        return { messages: page, hasMore: rest.length > page.length };
      }
      case 'sendMessage': {
        const key = `${r.chatId}/${r.clientMessageId}`;
        const seen = this.cmids.get(key);
        if (seen) return { message: seen, duplicate: true };
        const m = this.add(r.chatId as string, r.text as string, this.me, r.clientMessageId as string);
        this.cmids.set(key, m);
        return { message: m, duplicate: false };
      }
      case 'editMessage': {
        const m = (chat as FakeChat).messages.find((x) => x.messageId === r.messageId);
        if (!m) return { code: 'NOT_FOUND' };
        if (m.deleted) return { code: 'CONFLICT' };
        return { message: this.edit(m.chatId, m.seq, r.text as string) };
      }
      case 'deleteMessage': {
        const m = (chat as FakeChat).messages.find((x) => x.messageId === r.messageId);
        if (!m) return { code: 'NOT_FOUND' };
        if (!m.deleted) this.remove(m.chatId, m.seq);
        return { chatId: r.chatId, messageId: r.messageId };
      }
      case 'markDelivered':
        if (!this.deliveredSupported) return { code: 'UNKNOWN_ACTION' };
        return { chatId: r.chatId, lastDeliveredSeq: r.seq };
      case 'readMessage': {
        const read = (chat as FakeChat).messages.find((m) => m.messageId === r.messageId);
        return { chatId: r.chatId, lastReadSeq: read?.seq ?? 1 };
      }
      default:
        return { code: 'UNKNOWN_ACTION' };
    }
  }

  #memberCount(c: FakeChat): { memberCount?: number } {
    return this.syncMemberCount ? { memberCount: c.members.length } : {};
  }

  #summary(c: FakeChat): Record<string, unknown> {
    const lastSeq = c.messages.length;
    return {
      chatId: c.chatId,
      kind: c.kind,
      name: c.name,
      ownerId: c.ownerId,
      memberCount: c.members.length,
      lastSeq,
      lastVer: this.syncSupported ? c.lastVer : 0,
      lastMessage: c.messages.at(-1) ?? null,
      lastReadSeq: 0,
      // The user's own scheduled messages are never unread for them (docs/protocol.md).
      unreadCount: lastSeq - c.messages.filter((m) => m.senderId === this.me && scheduled(m)).length,
      mutedUntil: null,
    };
  }
}
