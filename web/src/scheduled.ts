/**
 * The open chat's scheduled messages (each with Cancel), and what the page says when one fails: a
 * toast with the reason in words, and its text given back to the composer (at once when its chat is
 * open and the box is empty, else when that chat is opened next with an empty box). A message the
 * pre-send hook refused is told with the hook's sentence (`detail`). One that went out, failed or was
 * cancelled leaves the list at once (its event names it), whether or not the reload after it is
 * answered: listScheduled is rate limited.
 */
import { type ChatClient, ChatClientError, type Scheduled } from '../../client/src/index.ts';
import { byId, h, shortTime } from './dom.ts';

/** `scheduled.reason` in words (docs/protocol.md, scheduled messages). */
const REASONS: Record<string, string> = {
  FORBIDDEN: 'it was refused (you may be blocked, or it was not allowed)',
  NOT_MEMBER: 'you are no longer a member of the chat',
  CHAT_DELETED: 'the chat was deleted',
  ATTACHMENT_UNAVAILABLE: 'an attachment is no longer available',
  DEACTIVATED: 'your account is deactivated',
  BAD_REQUEST: 'it is no longer valid',
  INTERNAL: 'the server could not send it',
};

/**
 * Why it failed, in words; `detail` (the pre-send hook's own sentence, with FORBIDDEN) says it
 * better than the code can, so it is quoted when the server gave one.
 */
export function failureInWords(reason: string | null, detail: string | null = null): string {
  if (detail) return `it was refused (“${detail}”)`;
  return (reason && REASONS[reason]) ?? `it could not be sent (${reason ?? 'no reason given'})`;
}

export interface ScheduledHost {
  readonly client: ChatClient;
  readonly openId: string | null;
  toast(text: string): void;
  /** Puts `text` into the composer when its chat is open and the box is empty; whether it did. */
  giveBack(chatId: string, text: string): boolean;
}

export class ScheduledList {
  readonly #list = byId('scheduled');
  /** Texts of failed scheduled messages, per chat, waiting for the box to be free. */
  readonly #returned = new Map<string, string>();
  /**
   * Scheduled messages that went out, failed or were cancelled: never listed again, whatever a
   * listing read before their event says (their status does not go back to pending).
   */
  readonly #ended = new Set<string>();

  constructor(private readonly host: ScheduledHost) {}

  /**
   * A chat was opened (null: none): the previous chat's list goes at once (its own is loaded with
   * the chat), and a failed message's text waiting for this chat goes into an empty box.
   */
  opened(chatId: string | null): void {
    this.clear();
    const text = chatId === null ? undefined : this.#returned.get(chatId);
    if (chatId !== null && text !== undefined && this.host.giveBack(chatId, text))
      this.#returned.delete(chatId);
  }

  clear(): void {
    this.#list.replaceChildren();
  }

  /**
   * `scheduled.sent` or `scheduled.cancelled` (or this page's Cancel acknowledged): the item goes at
   * once, and the list is reloaded; `quiet`: a failed reload is not told (the list still tries again
   * after RATE_LIMITED).
   */
  ended(s: Scheduled, quiet = false): void {
    this.#ended.add(s.scheduledId);
    for (const li of [...this.#list.children])
      if ((li as HTMLElement).dataset.scheduledId === s.scheduledId) li.remove();
    void this.load(quiet);
  }

  /**
   * `scheduled.failed`: says why, gives the text back, and takes it off the list. Its reload fails
   * quietly: that toast would replace this one, the one the user needs.
   */
  failed(s: Scheduled): void {
    const back = s.text !== '' && this.host.giveBack(s.chatId, s.text);
    if (s.text !== '' && !back) this.#returned.set(s.chatId, s.text);
    const where =
      s.text === '' ? '' : back ? ' Its text is back in the box.' : ' Its text waits in its chat’s box.';
    this.host.toast(`A scheduled message was not sent: ${failureInWords(s.reason, s.detail)}.${where}`);
    this.ended(s, true);
  }

  /**
   * The open chat's pending scheduled messages, each with Cancel; `quiet`: a failure leaves the list
   * without a toast.
   */
  async load(quiet = false): Promise<void> {
    const { client } = this.host;
    const chatId = this.host.openId;
    if (!chatId || client.state !== 'open') return this.clear();
    const items = await this.#fetch(chatId, quiet);
    if (!items || chatId !== this.host.openId) return;
    this.#list.replaceChildren(
      ...items
        .filter((s) => s.status === 'pending' && !this.#ended.has(s.scheduledId))
        .map((s) =>
          h(
            'li',
            { 'data-scheduled-id': s.scheduledId },
            h('span', {}, `Scheduled ${shortTime(s.sendAt)}: ${s.text}`),
            h(
              'button',
              {
                type: 'button',
                class: 'quiet',
                onclick: () =>
                  void client
                    .request('cancelScheduled', { scheduledId: s.scheduledId })
                    .then(({ scheduled }) => this.ended(scheduled))
                    .catch((error: Error) => this.host.toast(`Not cancelled: ${error.message}`)),
              },
              'Cancel',
            ),
          ),
        ),
    );
  }

  /** A reload waiting for RATE_LIMITED's `retryAfterMs` (one at a time). */
  #retry: ReturnType<typeof setTimeout> | undefined;

  /**
   * Every page of the chat's scheduled messages; none on a server without `listScheduled`. Any
   * other failure leaves the list shown as it was (null): a lost socket silently (the list loads
   * again once it is open: app.ts), the rest with a toast (unless `quiet`), and RATE_LIMITED
   * (listScheduled counts read units, and every scheduled.* event reloads) is tried again after its
   * `retryAfterMs`.
   */
  async #fetch(chatId: string, quiet: boolean): Promise<Scheduled[] | null> {
    const items: Scheduled[] = [];
    try {
      // A page ends where one frame is full: follow nextCursor (at most 100 wait per user).
      let cursor: string | undefined;
      do {
        const fields = cursor === undefined ? { chatId } : { chatId, cursor };
        const page = await this.host.client.request('listScheduled', fields);
        items.push(...page.scheduled);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      return items;
    } catch (error) {
      const code = error instanceof ChatClientError ? error.code : undefined;
      if (code === 'UNKNOWN_ACTION') return [];
      if (code === 'DISCONNECTED' || code === 'CLOSED' || chatId !== this.host.openId) return null;
      const retryAfterMs = code === 'RATE_LIMITED' ? (error as ChatClientError).retryAfterMs : undefined;
      const again =
        retryAfterMs === undefined ? '' : ` (trying again in ${Math.ceil(retryAfterMs / 1000)} s)`;
      if (!quiet)
        this.host.toast(`Could not load the scheduled messages: ${(error as Error).message}${again}`);
      if (retryAfterMs !== undefined) {
        clearTimeout(this.#retry);
        this.#retry = setTimeout(() => {
          if (this.host.openId === chatId && this.host.client.state === 'open') void this.load();
        }, retryAfterMs);
      }
      return null;
    }
  }
}
