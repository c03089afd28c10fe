/**
 * Marking the open chat read: while the page is visible and the socket open, the newest message of
 * the chat shown. The page calls `mark()` whenever that may have changed (a message arrived, the
 * chat was opened, the tab came back, the socket opened again, the server's count came back), so a
 * read not sent, or lost with the socket, goes then. The same read (chat and seq) is not sent twice
 * while it is under way; one refused RATE_LIMITED, TIMEOUT or INTERNAL is tried once more after
 * `retryAfterMs` (or 2 s) while still unread; DISCONNECTED waits for the socket to open again.
 */
import { type ChatClient, ChatClientError } from '../../client/src/index.ts';

const RETRIED = new Set(['RATE_LIMITED', 'TIMEOUT', 'INTERNAL']);

export class ReadMarker {
  /** The read under way (chat and seq). */
  #reading = '';

  constructor(
    private readonly client: ChatClient,
    private readonly openId: () => string | null,
  ) {}

  mark(retried = false): void {
    const chatId = this.openId();
    if (!chatId || document.visibilityState !== 'visible' || this.client.state !== 'open') return;
    const chat = this.client.chat(chatId);
    const newest = this.client.messages(chatId).at(-1);
    if (!chat || !newest || newest.seq <= chat.lastReadSeq) return;
    const reading = `${chatId} ${newest.seq}`;
    if (reading === this.#reading) return;
    this.#reading = reading;
    this.client
      .markRead(chatId)
      .catch((error: unknown) => {
        // NOT_FOUND, FORBIDDEN and the like are final: not retried.
        if (retried || !(error instanceof ChatClientError) || !RETRIED.has(error.code)) return;
        setTimeout(() => this.mark(true), error.retryAfterMs ?? 2000);
      })
      .finally(() => {
        if (this.#reading === reading) this.#reading = '';
      });
  }
}
