/**
 * The composer: Enter sends (Shift+Enter: new line), Esc cancels a reply or an edit; reply and edit
 * modes; typing notices (at most one "typing" every 3 s, "stopped" after 4 s without a key or on
 * send); attachments (upload, then send); scheduling a message (send later; the list: scheduled.ts).
 */
import { type Message, scheduleMessage, sendAttachment } from '../../client/src/index.ts';
import { LIMITS } from '../../lambdas/contract/limits.ts';
import type { ChatApp } from './app.ts';
import { byId, displayName } from './dom.ts';

const TYPING_EVERY_MS = 3000;
const TYPING_STOP_MS = 4000;

export class Composer {
  editing: Message | null = null;
  replying: Message | null = null;
  #typingSentAt = 0;
  #typingStop: ReturnType<typeof setTimeout> | undefined;
  readonly #text = byId<HTMLTextAreaElement>('text');

  constructor(private readonly app: ChatApp) {
    const form = byId<HTMLFormElement>('composer');
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.#submit();
    });
    this.#text.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.#submit();
      } else if (e.key === 'Escape') {
        e.preventDefault();
        this.reset();
      }
    });
    this.#text.addEventListener('input', () => {
      this.#grow();
      this.#typed();
    });
    byId('context-cancel').onclick = () => this.reset();
    byId<HTMLInputElement>('file').addEventListener(
      'change',
      (e) => void this.#attach(e.target as HTMLInputElement),
    );
    byId('schedule').onclick = () => {
      const row = byId('schedule-row');
      row.hidden = !row.hidden;
      const at = byId<HTMLInputElement>('send-at');
      if (!row.hidden) {
        const soon = new Date(Date.now() + 5 * 60_000 - new Date().getTimezoneOffset() * 60_000);
        at.value = soon.toISOString().slice(0, 16);
        at.focus();
      }
    };
    byId('schedule-confirm').onclick = () => void this.#schedule();
  }

  focus(): void {
    this.#text.focus();
  }

  /** What is in the text box (a draft kept across signing in again: keep.ts). */
  get text(): string {
    return this.#text.value;
  }

  set text(value: string) {
    this.#text.value = value;
    this.#grow();
  }

  /**
   * Gives back the text of something that did not go out (a failed scheduled message) when `chatId`
   * is open and the box is empty; whether it did.
   */
  giveBack(chatId: string, text: string): boolean {
    if (this.app.openId !== chatId || this.#text.value.trim() !== '' || this.editing) return false;
    this.text = text;
    return true;
  }

  /** Back to a plain new message (Esc). */
  reset(): void {
    const wasEditing = this.editing !== null;
    this.editing = null;
    this.replying = null;
    if (wasEditing) this.#text.value = '';
    byId('context').hidden = true;
    byId('schedule-row').hidden = true;
    this.#grow();
    this.app.render();
  }

  replyTo(m: Message): void {
    this.editing = null;
    this.replying = m;
    this.#context(`Replying to ${displayName(m.senderId)}: ${m.text || 'Attachment'}`);
  }

  edit(m: Message): void {
    this.replying = null;
    this.editing = m;
    this.#text.value = m.text;
    this.#context('Editing message');
    this.#grow();
  }

  #context(text: string): void {
    byId('context-text').textContent = text;
    byId('context').hidden = false;
    this.focus();
    this.app.render();
  }

  #submit(): void {
    const chatId = this.app.openId;
    const text = this.#text.value.trim();
    if (!chatId || text === '') return;
    // The contract counts code points; a longer text stays in the box instead of failing in the outbox.
    const length = [...text].length;
    if (length > LIMITS.textMaxChars) {
      this.app.toast(`A message has at most ${LIMITS.textMaxChars} characters; this one has ${length}.`);
      return;
    }
    const c = this.app.client;
    const editing = this.editing;
    const replying = this.replying;
    this.#text.value = '';
    this.editing = null;
    this.replying = null;
    byId('context').hidden = true;
    this.#stopTyping(chatId);
    this.#grow();
    const done = editing
      ? editing.text === text
        ? Promise.resolve()
        : c.editMessage(chatId, editing.messageId, text)
      : c.sendMessage(chatId, text, replying ? { replyTo: replying.messageId } : {});
    done.catch((error: Error) => {
      this.app.toast(`Not sent: ${error.message}`);
      this.#restore(chatId, text, editing, replying);
    });
    this.app.render(true);
  }

  /**
   * A send, edit or attachment that failed gives its text back (with its edit or reply), unless the
   * user has started something else meanwhile: another chat, text in the box, a reply or an edit.
   */
  #restore(chatId: string, text: string, editing: Message | null, replying: Message | null): void {
    if (this.app.openId !== chatId || this.#text.value.trim() !== '' || this.editing || this.replying) return;
    if (editing) this.edit(editing);
    else if (replying) this.replyTo(replying);
    this.#text.value = text;
    this.#grow();
  }

  #typed(): void {
    const chatId = this.app.openId;
    if (!chatId || this.app.client.state !== 'open') return;
    if (Date.now() - this.#typingSentAt > TYPING_EVERY_MS) {
      this.#typingSentAt = Date.now();
      this.app.client.request('typing', { chatId, isTyping: true }).catch(() => undefined);
    }
    clearTimeout(this.#typingStop);
    this.#typingStop = setTimeout(() => this.#stopTyping(chatId), TYPING_STOP_MS);
  }

  #stopTyping(chatId: string): void {
    clearTimeout(this.#typingStop);
    if (this.#typingSentAt === 0) return;
    this.#typingSentAt = 0;
    if (this.app.client.state !== 'open') return;
    this.app.client.request('typing', { chatId, isTyping: false }).catch(() => undefined);
  }

  #grow(): void {
    this.#text.style.height = 'auto';
    this.#text.style.height = `${Math.min(this.#text.scrollHeight, 160)}px`;
  }

  async #attach(input: HTMLInputElement): Promise<void> {
    const file = input.files?.[0];
    const chatId = this.app.openId;
    input.value = '';
    if (!file || !chatId) return;
    const caption = this.#text.value.trim();
    this.#text.value = '';
    this.app.toast(`Uploading ${file.name}…`);
    try {
      await sendAttachment(this.app.client, {
        chatId,
        body: file,
        contentType: file.type || 'application/octet-stream',
        fileName: file.name,
        ...(caption ? { text: caption } : {}),
      });
    } catch (error) {
      this.app.toast(`Could not send ${file.name}: ${(error as Error).message}`);
      if (caption) this.#restore(chatId, caption, null, null);
    }
  }

  async #schedule(): Promise<void> {
    const chatId = this.app.openId;
    const text = this.#text.value.trim();
    const at = byId<HTMLInputElement>('send-at').value;
    if (!chatId || text === '' || !at) return this.app.toast('Write a message and pick a time first.');
    try {
      await scheduleMessage(this.app.client, { chatId, text, sendAt: new Date(at).toISOString() });
      this.#text.value = '';
      byId('schedule-row').hidden = true;
      this.app.toast(`Scheduled for ${new Date(at).toLocaleString()}.`);
      await this.app.scheduled.load();
    } catch (error) {
      this.app.toast(`Not scheduled: ${(error as Error).message}`);
    }
  }
}
