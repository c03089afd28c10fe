/**
 * The signed-in page: the typed client (client/) and what the user sees of it. The client keeps
 * the chats and messages in sync; this renders them (batched per animation frame, incrementally:
 * chats.ts and messages.ts keep one element per chat and per message) and adds what lives only on
 * screen: the open chat, the window of messages shown (history paging), typing, presence (the
 * status line: status.ts), scheduled messages and blocking. The message list follows new messages
 * only while it is scrolled to the bottom (follow.ts).
 */
import { type ChatClient, ChatClientError, type Message } from '../../client/src/index.ts';
import type { Session } from './auth.ts';
import { Blocked } from './blocked.ts';
import { ChatList, chatTitle, peerOf } from './chats.ts';
import { Composer } from './composer.ts';
import type { PageTiming } from './config.ts';
import { byId, displayName } from './dom.ts';
import { BottomFollower } from './follow.ts';
import { signOutDiscarding } from './keep.ts';
import { MessageList } from './messages.ts';
import { watchNetwork } from './online.ts';
import { pageClient } from './page-client.ts';
import { PresenceAsks } from './presence.ts';
import { MyReactions } from './reactions.ts';
import { ReadMarker } from './reading.ts';
import { ScheduledList } from './scheduled.ts';
import { ChatStatus, TYPING_SHOWN_MS } from './status.ts';

const PAGE = 30;

export class ChatApp {
  readonly client: ChatClient;
  readonly me: string;
  openId: string | null = null;
  /** Per chat: how many of the newest messages are shown. */
  readonly #window = new Map<string, number>();
  /** Per chat: older messages fetched with `history` beyond what the client holds. */
  readonly #older = new Map<string, Map<number, Message>>();
  readonly #status = new ChatStatus();
  readonly #presence: PresenceAsks;
  readonly #blocked: Blocked;
  readonly #reactions: MyReactions;
  readonly #reader: ReadMarker;
  #frame = 0;
  readonly composer: Composer;
  readonly scheduled: ScheduledList;
  readonly #chatList: ChatList;
  readonly #messageList: MessageList;
  readonly #bottom: BottomFollower;

  constructor(
    session: Session,
    private readonly onSignOut: () => void,
    timing: PageTiming = {},
  ) {
    this.me = session.userId;
    const { client, unguard } = pageClient(
      session,
      () => ({ chatId: this.openId, text: this.composer.text }),
      timing,
    );
    this.client = client;
    this.composer = new Composer(this);
    this.scheduled = new ScheduledList(this);
    const c = this.client;
    this.#blocked = new Blocked(c, (text) => this.toast(text));
    this.#presence = new PresenceAsks(c, this.#status);
    this.#reactions = new MyReactions(c, () => c.userId || this.me);
    this.#reader = new ReadMarker(c, () => this.openId);
    this.#chatList = new ChatList(byId('chat-list'), (id) => this.open(id));
    this.#messageList = new MessageList(byId('message-list'), {
      reply: (m) => this.composer.replyTo(m),
      edit: (m) => this.composer.edit(m),
      remove: (m) => this.#run(c.deleteMessage(m.chatId, m.messageId), 'Delete'),
      react: (m, emoji, mine) => this.#run(this.#reactions.toggle(m, emoji, mine), 'React'),
      url: (m, id, failed) => c.attachmentUrl(m.chatId, m.messageId, id, failed),
    });
    this.#bottom = new BottomFollower(byId('messages'), byId('message-list'));
    c.on('state', ({ state, reason }) => {
      this.#connection(
        state === 'open'
          ? 'online'
          : state === 'closed'
            ? `closed (${reason ?? ''})`
            : navigator.onLine
              ? state
              : 'offline',
      );
      if (state === 'open') void this.#afterOpen();
    });
    c.on('messages', ({ chatId }) => {
      if (chatId === this.openId) this.#reader.mark();
      this.render();
    });
    c.on('chat', ({ chatId, chat }) => {
      if (!chat && chatId === this.openId) this.open(null);
      // The count came back (listChats after a reconnect, another device): read while it is open.
      else if (chat && chatId === this.openId && chat.unreadCount > 0) this.#reader.mark();
      this.render();
    });
    c.on('outbox', ({ status, error }) => {
      if (status === 'failed') this.toast(`Not sent: ${error?.message ?? 'refused'}`);
      this.render();
    });
    c.on('typing', ({ chatId, userId, isTyping }) => {
      this.#status.typing(chatId, userId, isTyping);
      this.render();
      if (isTyping) setTimeout(() => this.render(), TYPING_SHOWN_MS + 50);
    });
    c.on('presence', (p) => {
      this.#status.presence(p);
      this.render();
    });
    c.on('scheduled.created', () => void this.scheduled.load());
    c.on('scheduled.sent', ({ scheduled }) => this.scheduled.ended(scheduled));
    c.on('scheduled.cancelled', ({ scheduled }) => this.scheduled.ended(scheduled));
    c.on('scheduled.failed', ({ scheduled }) => this.scheduled.failed(scheduled));
    watchNetwork(
      () => c.reconnectNow(),
      (online) => this.#connection(online ? 'reconnecting' : 'offline'),
    );
    byId('me-name').textContent = displayName(this.me);
    byId('sign-out').onclick = async () => {
      if (await signOutDiscarding(c, this.me, unguard)) this.onSignOut();
    };
    byId('back').onclick = () => this.open(null);
    byId('older').onclick = () => void this.older();
    byId('block').onclick = () => void this.#toggleBlock();
    document.addEventListener('visibilitychange', () => this.#reader.mark());
    this.#connection('connecting');
  }

  /** Opens a chat (null: back to the list on a phone). */
  open(chatId: string | null): void {
    this.openId = chatId;
    this.composer.reset();
    document.body.classList.toggle('chat-open', chatId !== null);
    byId('composer').hidden = chatId === null;
    this.scheduled.opened(chatId);
    this.render(true);
    if (chatId === null) return;
    this.#reader.mark();
    void this.#loadChat(chatId);
    this.composer.focus();
  }

  /** Gives a failed scheduled message's text back (scheduled.ts). */
  giveBack(chatId: string, text: string): boolean {
    return this.composer.giveBack(chatId, text);
  }

  /** Shows a page more: from what the client holds, then from the server (`history` before). */
  async older(): Promise<void> {
    const chatId = this.openId;
    if (!chatId) return;
    const held = this.#all(chatId);
    const shown = this.#window.get(chatId) ?? PAGE;
    this.#window.set(chatId, shown + PAGE);
    const first = held[0];
    if (held.length < shown + PAGE && first && first.seq > 1) {
      try {
        const ack = await this.client.request('history', { chatId, before: first.seq, limit: PAGE });
        const older = this.#older.get(chatId) ?? new Map<number, Message>();
        for (const m of ack.messages) older.set(m.seq, m);
        this.#older.set(chatId, older);
      } catch (error) {
        this.toast(`Could not load earlier messages: ${(error as Error).message}`);
      }
    }
    const list = byId('messages');
    const before = list.scrollHeight - list.scrollTop;
    this.render();
    requestAnimationFrame(() => {
      list.scrollTop = list.scrollHeight - before;
    });
  }

  /** Everything held of a chat, ascending: the client's copy plus pages fetched for scrolling back. */
  #all(chatId: string): Message[] {
    const live = this.client.messages(chatId);
    const older = this.#older.get(chatId);
    if (!older || older.size === 0) return live;
    const bySeq = new Map<number, Message>(older);
    for (const m of live) bySeq.set(m.seq, m);
    return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  /** The open chat's messages as shown (the test compares these with `history`). */
  shown(chatId: string): Message[] {
    const all = this.#all(chatId);
    return all.slice(Math.max(0, all.length - (this.#window.get(chatId) ?? PAGE)));
  }

  toast(text: string): void {
    const el = byId('toast');
    el.textContent = text;
    el.classList.add('shown');
    setTimeout(() => el.classList.remove('shown'), 4000);
  }

  /** Re-renders on the next animation frame (many changes, one render). */
  render(scrollToEnd = false): void {
    if (scrollToEnd) this.#scrollToEnd = true;
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.#render();
    });
  }

  #scrollToEnd = false;

  #render(): void {
    const c = this.client;
    const me = c.userId || this.me;
    const rows = c.chats().map((chat) => ({ chat, last: c.messages(chat.chatId).at(-1) }));
    this.#chatList.render(rows, me, this.openId);
    const chat = this.openId ? c.chat(this.openId) : undefined;
    const held = chat ? c.messages(chat.chatId) : [];
    byId('chat-title').textContent = chat ? chatTitle(chat, me, held) : 'Pick a chat';
    byId('chat-status').textContent = chat ? this.#status.text(chat.chatId, chat, this.me) : '';
    const block = byId<HTMLButtonElement>('block');
    // A direct chat's other member, also once they left (then Block still stops them coming back).
    const other = chat ? peerOf(chat, me, held) : undefined;
    block.hidden = !other;
    block.textContent = other && this.#blocked.has(other) ? 'Unblock' : 'Block';
    if (!chat) {
      this.#messageList.clear();
      byId('older').hidden = true;
      return;
    }
    const all = this.#all(chat.chatId);
    const shown = this.shown(chat.chatId);
    byId('older').hidden = shown.length === all.length && (all[0]?.seq ?? 1) <= 1;
    this.#messageList.render({
      me,
      chat,
      messages: shown,
      byId: new Map(all.map((m) => [m.messageId, m])),
      pending: c.pending(chat.chatId),
      editingId: this.composer.editing?.messageId ?? null,
      mine: (m, r) => this.#reactions.mine(m.messageId, r),
    });
    this.#bottom.follow(this.#scrollToEnd);
    this.#scrollToEnd = false;
  }

  #connection(text: string): void {
    const el = byId('connection');
    el.textContent = text;
    el.dataset.state = text.split(' ')[0] ?? text;
  }

  async #afterOpen(): Promise<void> {
    // A chat opened while the socket was down, or whose read was lost with it: nothing new may come.
    this.#reader.mark();
    await this.#blocked.load();
    if (this.openId) void this.#loadChat(this.openId);
    this.render();
  }

  /**
   * The scheduled messages of the opened chat, and its members (for ticks and titles) and presence
   * (of those not known lately; without it when refused: presence.ts).
   */
  async #loadChat(chatId: string): Promise<void> {
    void this.scheduled.load();
    try {
      const chat = this.client.chat(chatId);
      const members = chat?.members ?? (await this.client.request('getChat', { chatId })).chat.members;
      this.render();
      if (await this.#presence.load(members.map((m) => m.userId).filter((u) => u !== this.me))) this.render();
    } catch (error) {
      if (!(error instanceof ChatClientError) || error.code !== 'DISCONNECTED') {
        this.toast(`Could not load the chat: ${(error as Error).message}`);
      }
      this.render();
    }
  }

  async #toggleBlock(): Promise<void> {
    const chat = this.openId ? this.client.chat(this.openId) : undefined;
    const other = chat && peerOf(chat, this.me, this.client.messages(chat.chatId));
    if (other) await this.#blocked.toggle(other);
    this.render();
  }

  /** Runs an action; a refusal becomes a toast, never an unhandled rejection. */
  #run(promise: Promise<unknown>, what: string): void {
    promise.catch((error: Error) => this.toast(`${what} failed: ${error.message}`));
  }
}
