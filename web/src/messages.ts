/**
 * The open chat's messages as a list, rendered incrementally: one <li> per message (keyed by its
 * id) and per send still in the outbox (keyed by the outbox entry), kept across renders. A render
 * updates the items whose message changed (message-item.ts rebuilds only the changed parts), adds
 * the new ones and removes the ones no longer shown, moving nothing that stays in order: a hovered
 * or selected message that did not change is the same element afterwards.
 */
import type { Message, OutboxEntry } from '../../client/src/index.ts';
import { arrange } from './keyed.ts';
import { type MessageActions, type MessageContext, MessageItem, pendingItem } from './message-item.ts';

export type { MessageActions } from './message-item.ts';

export interface MessagesView extends MessageContext {
  /** The window shown, ascending by seq. */
  readonly messages: readonly Message[];
  /** Sends of this chat still in the outbox. */
  readonly pending: readonly OutboxEntry[];
}

export class MessageList {
  readonly #items = new Map<string, MessageItem>();
  readonly #pending = new Map<string, HTMLLIElement>();

  constructor(
    private readonly list: HTMLElement,
    private readonly actions: MessageActions,
  ) {}

  render(v: MessagesView): void {
    // A focused button of a part that is rebuilt gets the focus back (the same button, by key).
    const focused = document.activeElement as HTMLElement | null;
    const focusKey = this.list.contains(focused) ? focused?.dataset.focusKey : undefined;
    const wanted: HTMLElement[] = [];
    const shown = new Set<string>();
    for (const m of v.messages) {
      let item = this.#items.get(m.messageId);
      if (item) item.update(m, v);
      else {
        item = new MessageItem(m, v, this.actions);
        this.#items.set(m.messageId, item);
      }
      shown.add(m.messageId);
      wanted.push(item.el);
    }
    for (const id of this.#items.keys()) if (!shown.has(id)) this.#items.delete(id);
    const pending = new Set<string>();
    for (const entry of v.pending) {
      if (entry.action !== 'sendMessage') continue;
      let el = this.#pending.get(entry.id);
      if (!el) {
        el = pendingItem(entry);
        this.#pending.set(entry.id, el);
      }
      pending.add(entry.id);
      wanted.push(el);
    }
    for (const id of this.#pending.keys()) if (!pending.has(id)) this.#pending.delete(id);
    arrange(this.list, wanted);
    if (focusKey && !this.list.contains(document.activeElement)) {
      this.list
        .querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focusKey)}"]`)
        ?.focus({ preventScroll: true });
    }
  }

  /** No chat open: nothing shown, nothing kept. */
  clear(): void {
    this.#items.clear();
    this.#pending.clear();
    this.list.replaceChildren();
  }
}
