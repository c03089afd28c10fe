/**
 * `connect()` and the ChatClient: one object over the connection (lifecycle, requests), the replica
 * (local chats and messages), the syncer (catch-up and live events) and the outbox.
 *
 * About 300 lines on purpose: the class is the SDK's public surface, each method a short delegation
 * to one of those four, and its constructor the wiring between them; the logic lives in their
 * modules. Moving methods out would add exported names and call sites to a bundle with 9 of its
 * 12,288 gzipped bytes left (size.ts), for no concern of its own.
 */
import type {
  ChatInfo,
  ClientEvents,
  ClientOptions,
  ClientStats,
  ConnectionState,
  OutboxEntry,
  RequestArgs,
  SendOptions,
} from './api.ts';
import { Connection, type Frame } from './connection.ts';
import { connectionTiming } from './connection-options.ts';
import type { Ack, ActionName, Message } from './contract.ts';
import { Emitter } from './emitter.ts';
import { ChatClientError, closedError, retryable } from './errors.ts';
import { applyAck, applyEvent, applyRequest } from './live.ts';
import { cursor } from './members.ts';
import { Outbox } from './outbox.ts';
import { Replica } from './replica.ts';
import { MemoryStore } from './store.ts';
import { Syncer } from './sync.ts';
import { type AttachmentUrls, attachmentUrls } from './urls.ts';
import { backoff, jwtClaims, nap, randomId, sleep } from './util.ts';

export type { RequestArgs, RequestOptions, SendOptions } from './api.ts';

/** Connects (at once, in the background) and returns the client. */
export function connect(options: ClientOptions): ChatClient {
  return new ChatClient(options);
}

export class ChatClient {
  readonly stats: ClientStats = {
    reconnects: 0,
    resends: 0,
    serverDuplicates: 0,
    duplicatesSuppressed: 0,
    catchUpRequests: 0,
    resets: 0,
    delivered: 0,
  };
  private readonly events: Emitter<ClientEvents>;
  private readonly conn: Connection;
  private readonly replica: Replica;
  private readonly syncer: Syncer;
  /** The syncer, unless the client keeps no copy (`sync: false`): events and acks reach the replica through it. */
  private readonly live?: Syncer;
  private readonly outbox: Outbox;
  private readonly loaded: Promise<void>;
  /** False after the store failed to load: the stored outbox is then left as it was. */
  private outboxLoaded = true;
  /** The retry waits of request() under way: close() ends them. */
  private readonly naps = new Set<() => void>();

  constructor(options: ClientOptions) {
    const warn = (message: string, data?: unknown) => options.logger?.warn?.(message, data);
    const store = options.store ?? new MemoryStore();
    const timing = connectionTiming(options);
    this.events = new Emitter((error) => warn('an event listener threw', error));
    this.conn = new Connection({
      ...timing,
      warn,
      onState: (change) => {
        this.stats.reconnects = this.conn.reconnects;
        if (change.state === 'closed') {
          this.syncer.stop();
          this.outbox.stop(closedError());
          for (const wake of this.naps) wake();
        }
        this.events.emit('state', change);
      },
      onOpen: () => {
        this.replica.user(jwtClaims(this.conn.token).sub ?? '');
        this.live?.opened();
        this.outbox.pumpAll();
      },
      onEvent: (frame) => {
        if (this.live) applyEvent(frame, this.replica, this.live);
        this.events.emit(frame.type as keyof ClientEvents, frame as never);
      },
    });
    this.replica = new Replica(
      store,
      {
        messages: (chatId, messages) => this.events.emit('messages', { chatId, messages }),
        chat: (chatId, chat) => this.events.emit('chat', { chatId, chat }),
        error: (error) => warn('the store failed to save', error),
      },
      this.stats,
    );
    this.syncer = new Syncer(
      this.conn,
      this.replica,
      (a, f) => this.request(a, f as never, { retries: 2 }),
      this.stats,
      {
        gapMs: options.gapMs ?? 2000,
        deliveredIntervalMs: options.deliveredIntervalMs ?? 3000,
        warn,
      },
    );
    if (options.sync !== false) this.live = this.syncer;
    this.outbox = new Outbox(
      this.conn,
      {
        // An outbox ack changes the replica like the matching event would.
        acked: (entry, ack) => {
          if (ack.duplicate === true) this.stats.serverDuplicates++;
          if (this.live) applyAck(entry, ack, this.replica, this.live);
        },
        // After a failed load the stored outbox is unknown: writing this run's would erase it.
        changed: (now) =>
          this.outboxLoaded ? this.replica.saveOutbox(() => this.outbox.entries, now) : Promise.resolve(),
        emit: (change) => this.events.emit('outbox', change),
      },
      this.stats,
      [timing.backoffBaseMs, timing.backoffMaxMs],
    );
    this.loaded = store.load().then(
      (snapshot) => {
        this.replica.load(snapshot);
        this.outbox.load(snapshot?.outbox ?? []);
        this.conn.start();
      },
      (error: unknown) => {
        warn('the store failed to load', error);
        this.outboxLoaded = false;
        this.outbox.load([]);
        this.conn.start();
      },
    );
  }

  get state(): ConnectionState {
    return this.conn.state;
  }

  /** The user id (`sub`) of the token in use, once connected. */
  get userId(): string {
    return this.replica.me;
  }

  /** Listens to a server event (`message.created`, …) or a client event (`state`, `messages`, `chat`, `outbox`). */
  on<K extends keyof ClientEvents>(name: K, listener: (value: ClientEvents[K]) => void): () => void {
    return this.events.on(name, listener);
  }

  /** Sends any action of the contract; resolves with its ack, or throws a ChatClientError. */
  async request<N extends ActionName>(action: N, ...[fields, options]: RequestArgs<N>): Promise<Ack<N>> {
    const stamp = this.replica.stamp;
    for (let attempt = 0; ; attempt++) {
      try {
        const ack = await this.conn.request(action, fields ?? {}, options?.timeoutMs);
        applyRequest(action, fields ?? {}, ack, this.replica, stamp, this.live);
        return ack as unknown as Ack<N>;
      } catch (error) {
        if (attempt >= (options?.retries ?? 0) || !retryable(error)) throw error;
        // Ended by close(): the next try then fails CLOSED at once.
        await nap((error as ChatClientError).retryAfterMs ?? backoff(attempt + 1, 250, 5000), this.naps);
      }
    }
  }

  /** Sends a message through the outbox; resolves with the stored message once acknowledged. */
  async sendMessage(chatId: string, text: string, options: SendOptions = {}): Promise<Message> {
    const clientMessageId = options.clientMessageId ?? randomId();
    const fields = {
      chatId,
      text,
      clientMessageId,
      replyTo: options.replyTo,
      attachments: options.attachments,
    };
    const ack = (await this.queue(clientMessageId, 'sendMessage', fields)) as unknown as Ack<'sendMessage'>;
    return ack.message;
  }

  async editMessage(chatId: string, messageId: string, text: string): Promise<Message> {
    const ack = await this.queue(randomId(), 'editMessage', { chatId, messageId, text });
    return (ack as unknown as Ack<'editMessage'>).message;
  }

  async deleteMessage(chatId: string, messageId: string): Promise<void> {
    await this.queue(randomId(), 'deleteMessage', { chatId, messageId });
  }

  /** Adds (or with `remove`, removes) one of your reactions on a message. */
  async react(chatId: string, messageId: string, emoji: string, remove = false): Promise<Message> {
    const ack = await this.queue(randomId(), 'react', { chatId, messageId, emoji, remove });
    return (ack as unknown as Ack<'react'>).message;
  }

  /** Marks a message (default: the newest held) and everything before it as read. */
  async markRead(chatId: string, messageId?: string): Promise<number> {
    const newest = this.messages(chatId).at(-1)?.messageId;
    const id = messageId ?? newest;
    if (!id) return this.chat(chatId)?.lastReadSeq ?? 0;
    const ack = await this.request('readMessage', { chatId, messageId: id });
    const e = this.replica.chats.get(chatId);
    if (e) cursor(this.replica, e, this.userId, 'lastReadSeq', ack.lastReadSeq);
    return ack.lastReadSeq;
  }

  /** A download URL of an attachment that works: the held one, or a fresh one (urls.ts). */
  readonly attachmentUrl: AttachmentUrls = attachmentUrls(
    (fields) => this.request('getAttachmentUrl', fields, { retries: 2 }),
    () => this.replica,
  );

  /** The chats held, most recent activity first (ChatEntry.newest: the order holds from listChats on). */
  chats(): ChatInfo[] {
    return [...this.replica.chats.values()]
      .sort((a, b) => b.newest().localeCompare(a.newest()))
      .map((e) => ({ ...e.info }));
  }

  chat(chatId: string): ChatInfo | undefined {
    const e = this.replica.chats.get(chatId);
    return e && { ...e.info };
  }

  /** The messages held of a chat, ascending by seq. */
  messages(chatId: string): Message[] {
    const e = this.replica.chats.get(chatId);
    return e ? [...e.bySeq.values()].sort((a, b) => a.seq - b.seq) : [];
  }

  /** What waits in the outbox (of one chat, or all). */
  pending(chatId?: string): OutboxEntry[] {
    return this.outbox.entries.filter((e) => chatId === undefined || e.chatId === chatId);
  }

  /** Drops an outbox entry that is not in flight. */
  discard(id: string): boolean {
    return this.outbox.discard(id, new ChatClientError('CLOSED', 'Discarded from the outbox.'));
  }

  /**
   * Catches up now: one chat, or every chat (listChats, then sync of those that moved). Call it when
   * a push notification wakes the app: it costs one listChats plus one sync per changed chat, and on
   * a new socket up to 20 getChats of chats whose receipts may have moved (client/README.md). It
   * dials at once if the socket is down, also when suspended (then suspended again once done), and
   * rejects with the error when the catch-up failed (e.g. TIMEOUT: no socket opened in time).
   */
  async syncNow(chatId?: string): Promise<void> {
    await this.loaded;
    const e = this.replica.chats.get(chatId as string); // none without a chatId: every chat
    const done = this.conn.wake();
    try {
      const failed = await (e ? this.syncer.catchUp(e) : this.syncer.resync());
      if (failed) throw failed;
    } finally {
      done();
    }
  }

  /** Reconnects at once when waiting to (the app came to the foreground, or the network is back). */
  reconnectNow(): void {
    this.conn.reconnectNow();
  }

  /**
   * Closes the socket until `reconnectNow()` (the app went to the background): the server then counts
   * you offline at once and pushes to your devices. Sends wait in the outbox meanwhile. A `syncNow()`
   * opens it for its catch-up (the outbox sends meanwhile too), and it closes again after.
   */
  suspend(): void {
    this.conn.suspend();
  }

  /**
   * Resolves when the client is open, caught up (no catch-up running, no hole waiting), the outbox
   * is empty and everything is stored. For tests and "wait until synced" screens.
   */
  async settled(pollMs = 25): Promise<void> {
    await this.loaded;
    for (;;) {
      if (this.state === 'closed') throw closedError();
      if (this.state === 'open' && !this.syncer.busy && !this.outbox.entries.length) {
        await this.replica.idle();
        if (this.state === 'open' && !this.syncer.busy && !this.outbox.entries.length) return;
      }
      await sleep(pollMs);
    }
  }

  /**
   * Closes the socket and stops; the outbox stays in the store for the next run. Resolves once the
   * store holds it: await it before another client uses the same store.
   */
  close(): Promise<void> {
    this.conn.close();
    return this.loaded.then(() => this.replica.idle(true));
  }

  private queue(id: string, action: OutboxEntry['action'], fields: Record<string, unknown>): Promise<Frame> {
    return this.outbox.add({
      id,
      chatId: fields.chatId as string,
      action,
      fields: Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
      attempts: 0,
      createdAt: new Date().toISOString(),
    });
  }
}
