/**
 * The other member of each direct chat as the server names it: the Chat's `peerId`
 * (docs/protocol.md), which names them also once they left the chat (it then lists you alone), and
 * which the client's ChatInfo does not carry. Taken from the Chats of `chat.created` and
 * `chat.joined`, and asked for (`getChat`, once per chat until the next connect) for a direct chat
 * whose peer the page cannot name from what it holds. A chat created before the server named the
 * peer answers none: the page then goes by their messages held (chats.ts `peerOf`).
 */
import type { Chat, ChatClient, ChatInfo, Message } from '../../client/src/index.ts';
import { type PeerChat, peerOf } from './chats.ts';

export class Peers {
  readonly #byChat = new Map<string, string>();
  /** Chats asked about since the last connect (answered or not: one ask each). */
  readonly #asked = new Set<string>();

  constructor(
    private readonly client: ChatClient,
    private readonly changed: () => void,
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
   * listing only `me` (the peer left), none of their messages in `held`.
   */
  ask(chat: ChatInfo, me: string, held: readonly (Message | undefined)[]): void {
    const { chatId } = chat;
    if (chat.kind !== 'direct' || !chat.members || this.#asked.has(chatId)) return;
    if (peerOf(this.of(chat), me, held)) return;
    this.#asked.add(chatId);
    this.client.request('getChat', { chatId }).then(
      (ack) => this.#take(ack.chat) && this.changed(),
      () => undefined, // asked again after the next connect (`reconnected`)
    );
  }

  /** A new socket: chats whose peer is still unknown may be asked about again. */
  reconnected(): void {
    this.#asked.clear();
  }

  #take(chat: Chat): boolean {
    if (!chat.peerId || this.#byChat.get(chat.chatId) === chat.peerId) return false;
    this.#byChat.set(chat.chatId, chat.peerId);
    return true;
  }
}
