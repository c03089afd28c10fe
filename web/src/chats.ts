/**
 * The chat list: name, last-message preview, time, unread badge; the open chat is marked current.
 * One row per chat (keyed by its id), kept across renders: a row is patched only when what it shows
 * changed, and a chat whose activity moves it is moved as that one node (keyed.ts).
 */
import type { ChatInfo, Message } from '../../client/src/index.ts';
import { previewText } from '../../lambdas/domain/preview.ts';
import { displayName, h, setAttr, shortTime } from './dom.ts';
import { arrange } from './keyed.ts';

export interface ChatRow {
  readonly chat: ChatInfo;
  readonly last: Message | undefined;
}

/**
 * The other member of a direct chat: the one the server names (`peerId`, also once they left), or
 * (a chat from before the server named them) the one listed, or, once they left (the chat lists you
 * alone), the sender of the last of their messages held.
 */
export function peerOf(
  chat: ChatInfo,
  me: string,
  held: readonly (Message | undefined)[] = [],
): string | undefined {
  if (chat.kind !== 'direct') return undefined;
  if (chat.peerId) return chat.peerId;
  const listed = chat.members?.find((m) => m.userId !== me)?.userId;
  return listed ?? [...held].reverse().find((m) => m && m.senderId !== me)?.senderId;
}

/** A chat's title: the group's name, or the other member of a direct chat (`held`: its messages). */
export function chatTitle(chat: ChatInfo, me: string, held: readonly (Message | undefined)[] = []): string {
  if (chat.name) return chat.name;
  const other =
    chat.kind === 'direct' ? peerOf(chat, me, held) : chat.members?.find((m) => m.userId !== me)?.userId;
  return other ? displayName(other) : chat.kind === 'direct' ? 'Direct chat' : 'Group';
}

export function preview(last: Message | undefined, me: string): string {
  if (!last) return 'No messages yet';
  const who = last.senderId === me ? 'You: ' : '';
  return last.deleted ? `${who}Message deleted` : `${who}${previewText(last, 80)}`;
}

interface Row {
  readonly li: HTMLLIElement;
  readonly button: HTMLButtonElement;
  key: string;
}

export class ChatList {
  readonly #rows = new Map<string, Row>();

  constructor(
    private readonly list: HTMLElement,
    private readonly open: (chatId: string) => void,
  ) {}

  render(rows: readonly ChatRow[], me: string, openId: string | null): void {
    const wanted: HTMLLIElement[] = [];
    const shown = new Set<string>();
    for (const { chat, last } of rows) {
      const row = this.#row(chat.chatId);
      const title = chatTitle(chat, me, [last]);
      const unread = chat.chatId === openId ? 0 : chat.unreadCount;
      const time = last ? shortTime(last.createdAt) : '';
      const text = preview(last, me);
      const key = JSON.stringify([title, last?.createdAt, time, text, unread, chat.chatId === openId]);
      if (row.key !== key) {
        row.key = key;
        setAttr(row.button, 'aria-current', chat.chatId === openId ? 'true' : null);
        setAttr(row.button, 'aria-label', `${title}${unread > 0 ? `, ${unread} unread` : ''}`);
        row.button.replaceChildren(...content(title, last, time, text, unread));
      }
      shown.add(chat.chatId);
      wanted.push(row.li);
    }
    for (const id of this.#rows.keys()) if (!shown.has(id)) this.#rows.delete(id);
    arrange(this.list, wanted);
  }

  #row(chatId: string): Row {
    let row = this.#rows.get(chatId);
    if (!row) {
      const button = h('button', {
        type: 'button',
        class: 'chat-row',
        'data-chat-id': chatId,
        onclick: () => this.open(chatId),
      });
      row = { li: h('li', {}, button), button, key: '' };
      this.#rows.set(chatId, row);
    }
    return row;
  }
}

function content(title: string, last: Message | undefined, time: string, text: string, unread: number) {
  return [
    h('span', { class: 'avatar', 'aria-hidden': 'true' }, title.slice(0, 1)),
    h(
      'span',
      { class: 'row-main' },
      h(
        'span',
        { class: 'row-top' },
        h('span', { class: 'row-title' }, title),
        last && h('time', { datetime: last.createdAt }, time),
      ),
      h(
        'span',
        { class: 'row-bottom' },
        h('span', { class: 'preview' }, text),
        unread > 0 && h('span', { class: 'badge', 'data-unread': unread }, String(unread)),
      ),
    ),
  ];
}
