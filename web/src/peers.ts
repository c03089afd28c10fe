/**
 * The other member of each direct chat as the server names it: the Chat's `peerId`
 * (docs/protocol.md), which names them also once they left the chat (it then lists you alone), and
 * which the client's ChatInfo does not carry. Taken from the Chats of `chat.created` and
 * `chat.joined`, and asked for (`getChat`) for a direct chat whose peer the page cannot name from
 * what it holds: the opened chat at once, the other rows a few at a time within `PER_MINUTE`, each
 * once a connect, a refusal retried after its `retryAfterMs`. A chat created before the server named
 * the peer answers none: it is not asked again this session, and the page goes by their messages
 * held (chats.ts `peerOf`).
 */
import type { Chat, ChatClient, ChatInfo, Message } from '../../client/src/index.ts';
import { type PeerChat, peerOf } from './chats.ts';

/**
 * Asks for rows (not the opened chat) a minute: a quarter of getChat's 120 (lambdas/shared/
 * rate-limits.ts), so that a user with hundreds of such chats leaves the rest to the page's own
 * `getChat` of an opened chat and the SDK's, and is never refused (a refusal closes the SDK's gate).
 */
const PER_MINUTE = 30;
/** Row asks at a time. */
const IN_FLIGHT = 2;
/** sessionStorage: a chat whose getChat named no peer (created before the server named it). */
const UNNAMED = 'chat.peers.unnamed:';

export class Peers {
  readonly #byChat = new Map<string, string>();
  /** Chats asked about since the last connect (answered or not: one ask each). */
  readonly #asked = new Set<string>();
  /** Rows waiting for their ask, and when the asks of the last minute started. */
  #queue: string[] = [];
  #started: number[] = [];
  #inFlight = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly client: ChatClient,
    private readonly changed: () => void,
    /** The window of `PER_MINUTE` (PageTiming.peerWindowMs: tests shorten it with the server's). */
    private readonly windowMs = 60_000,
  ) {
    client.on('chat.created', ({ chat }) => this.#take(chat) && changed());
    client.on('chat.joined', ({ chat }) => this.#take(chat) && changed());
  }

  /** The chat with its peer as the server named it, when known (`peerOf` takes that first). */
  of(chat: ChatInfo): PeerChat {
    const peerId = this.#byChat.get(chat.chatId);
    return peerId ? { ...chat, peerId } : chat;
  }

  /**
   * Asks the server for the peer of a direct chat the page cannot name: its members known and
   * listing only `me` (the peer left), none of their messages in `held`. `open`: asked at once.
   */
  ask(chat: ChatInfo, me: string, held: readonly (Message | undefined)[], open = false): void {
    const { chatId } = chat;
    if (chat.kind !== 'direct' || !chat.members || sessionStorage.getItem(UNNAMED + chatId)) return;
    if (this.#asked.has(chatId)) {
      // Opened while waiting in the queue: now.
      if (open && this.#queue.includes(chatId)) {
        this.#queue = this.#queue.filter((id) => id !== chatId);
        void this.#get(chatId);
      }
      return;
    }
    if (peerOf(this.of(chat), me, held)) return;
    this.#asked.add(chatId);
    if (open) void this.#get(chatId);
    else this.#queue.push(chatId);
    this.#pump();
  }

  /** A new socket: chats whose peer is still unknown may be asked about again. */
  reconnected(): void {
    this.#asked.clear();
    this.#queue = [];
  }

  /** Starts row asks while fewer than IN_FLIGHT run and fewer than PER_MINUTE started a minute. */
  #pump(): void {
    clearTimeout(this.#timer);
    const now = Date.now();
    this.#started = this.#started.filter((t) => now - t < this.windowMs);
    while (this.#queue.length && this.#inFlight < IN_FLIGHT && this.#started.length < PER_MINUTE) {
      const chatId = this.#queue.shift() as string;
      void this.#get(chatId);
    }
    const first = this.#started[0];
    if (this.#queue.length && first !== undefined && this.#started.length >= PER_MINUTE)
      this.#timer = setTimeout(() => this.#pump(), first + this.windowMs - now);
  }

  async #get(chatId: string): Promise<void> {
    this.#inFlight++;
    this.#started.push(Date.now());
    try {
      const { chat } = await this.client.request('getChat', { chatId }, { retries: 2 });
      if (!chat.peerId) sessionStorage.setItem(UNNAMED + chatId, '1');
      else if (this.#take(chat)) this.changed();
    } catch {
      // asked again after the next connect (`reconnected`)
    } finally {
      this.#inFlight--;
      this.#pump();
    }
  }

  #take(chat: Chat): boolean {
    if (!chat.peerId || this.#byChat.get(chat.chatId) === chat.peerId) return false;
    this.#byChat.set(chat.chatId, chat.peerId);
    return true;
  }
}
