/** The chat list: name, last-message preview, time, unread badge; the open chat is marked current. */
import type { ChatInfo, Message } from '../../client/src/index.ts';
import { previewText } from '../../lambdas/domain/preview.ts';
import { displayName, h, shortTime } from './dom.ts';

export interface ChatRow {
  readonly chat: ChatInfo;
  readonly last: Message | undefined;
}

/** A chat's title: the group's name, or the other member of a direct chat. */
export function chatTitle(chat: ChatInfo, me: string): string {
  if (chat.name) return chat.name;
  const other = chat.members?.find((m) => m.userId !== me)?.userId;
  return other ? displayName(other) : chat.kind === 'direct' ? 'Direct chat' : 'Group';
}

export function preview(last: Message | undefined, me: string): string {
  if (!last) return 'No messages yet';
  const who = last.senderId === me ? 'You: ' : '';
  return last.deleted ? `${who}Message deleted` : `${who}${previewText(last, 80)}`;
}

export function renderChatList(
  list: HTMLElement,
  rows: readonly ChatRow[],
  me: string,
  openId: string | null,
  open: (chatId: string) => void,
): void {
  const focusedId = (document.activeElement as HTMLElement | null)?.dataset.chatId;
  list.replaceChildren(
    ...rows.map(({ chat, last }) => {
      const title = chatTitle(chat, me);
      const unread = chat.chatId === openId ? 0 : chat.unreadCount;
      return h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            class: 'chat-row',
            'data-chat-id': chat.chatId,
            'aria-current': chat.chatId === openId ? 'true' : undefined,
            'aria-label': `${title}${unread > 0 ? `, ${unread} unread` : ''}`,
            onclick: () => open(chat.chatId),
          },
          h('span', { class: 'avatar', 'aria-hidden': 'true' }, title.slice(0, 1)),
          h(
            'span',
            { class: 'row-main' },
            h(
              'span',
              { class: 'row-top' },
              h('span', { class: 'row-title' }, title),
              last && h('time', { datetime: last.createdAt }, shortTime(last.createdAt)),
            ),
            h(
              'span',
              { class: 'row-bottom' },
              h('span', { class: 'preview' }, preview(last, me)),
              unread > 0 && h('span', { class: 'badge', 'data-unread': unread }, String(unread)),
            ),
          ),
        ),
      );
    }),
  );
  if (focusedId) list.querySelector<HTMLElement>(`[data-chat-id="${CSS.escape(focusedId)}"]`)?.focus();
}
