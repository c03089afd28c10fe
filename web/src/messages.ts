/**
 * One chat's messages as a list: sender, reply quote, text (or "deleted"), attachments (images
 * inline, audio and video players, file links), reactions, time, "edited", and on one's own
 * messages the ticks: 🕓 sending, ✓ sent, ✓✓ delivered to every other member, blue ✓✓ read by all.
 * Each message carries its id, seq and state as data attributes (the browser test reads them).
 */
import type { Attachment, ChatInfo, Message, OutboxEntry, Reaction } from '../../client/src/index.ts';
import { displayName, h, shortTime } from './dom.ts';

export interface MessagesView {
  readonly me: string;
  readonly chat: ChatInfo;
  /** The window shown, ascending by seq. */
  readonly messages: readonly Message[];
  /** Every message held (for reply quotes beyond the window). */
  readonly byId: ReadonlyMap<string, Message>;
  /** Sends of this chat still in the outbox. */
  readonly pending: readonly OutboxEntry[];
  readonly editingId: string | null;
}

export interface MessageActions {
  reply(m: Message): void;
  edit(m: Message): void;
  remove(m: Message): void;
  react(m: Message, emoji: string, remove: boolean): void;
}

const QUICK_REACTION = '👍';

export function renderMessages(list: HTMLElement, v: MessagesView, a: MessageActions): void {
  // Keep keyboard focus across the re-render (the same button of the same message).
  const focused = document.activeElement as HTMLElement | null;
  const focusKey = list.contains(focused) ? focused?.dataset.focusKey : undefined;
  const items = v.messages.map((m) => messageItem(m, v, a));
  for (const entry of v.pending) {
    if (entry.action === 'sendMessage') items.push(pendingItem(entry));
  }
  list.replaceChildren(...items);
  if (focusKey) list.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
}

function messageItem(m: Message, v: MessagesView, a: MessageActions): HTMLLIElement {
  const mine = m.senderId === v.me;
  const quoted = m.replyTo ? v.byId.get(m.replyTo) : undefined;
  const key = (action: string) => `${m.messageId}:${action}`;
  const actions = m.deleted
    ? []
    : [
        h('button', { type: 'button', 'data-focus-key': key('reply'), onclick: () => a.reply(m) }, 'Reply'),
        mine &&
          h('button', { type: 'button', 'data-focus-key': key('edit'), onclick: () => a.edit(m) }, 'Edit'),
        mine &&
          h(
            'button',
            { type: 'button', 'data-focus-key': key('delete'), onclick: () => a.remove(m) },
            'Delete',
          ),
        h(
          'button',
          {
            type: 'button',
            'data-focus-key': key('react'),
            'aria-label': `React with ${QUICK_REACTION}`,
            onclick: () => a.react(m, QUICK_REACTION, hasMine(m.reactions, QUICK_REACTION, v.me)),
          },
          QUICK_REACTION,
        ),
      ];
  return h(
    'li',
    {
      class: `msg${mine ? ' mine' : ''}${m.messageId === v.editingId ? ' editing' : ''}`,
      'data-message-id': m.messageId,
      'data-seq': m.seq,
      'data-deleted': m.deleted,
      'data-edited': m.editedAt !== null,
    },
    h(
      'div',
      { class: 'bubble' },
      !mine && v.chat.kind === 'group' && h('p', { class: 'sender' }, displayName(m.senderId)),
      m.replyTo &&
        h(
          'blockquote',
          { class: 'quote' },
          quoted
            ? `${displayName(quoted.senderId)}: ${quoted.deleted ? 'Message deleted' : quoted.text || 'Attachment'}`
            : 'An earlier message',
        ),
      m.deleted
        ? h('p', { class: 'text deleted' }, h('em', {}, 'Message deleted'))
        : m.text !== '' && h('p', { class: 'text' }, m.text),
      !m.deleted &&
        m.attachments.length > 0 &&
        h('div', { class: 'attachments' }, m.attachments.map(attachment)),
      reactions(m, v.me, a),
      h(
        'p',
        { class: 'meta' },
        h('time', { datetime: m.createdAt }, shortTime(m.createdAt)),
        m.editedAt !== null && !m.deleted && h('span', { class: 'edited' }, ' · edited'),
        mine && !m.deleted && ticks(m, v),
      ),
    ),
    actions.length > 0 &&
      h('div', { class: 'actions', role: 'group', 'aria-label': 'Message actions' }, actions),
  );
}

function pendingItem(entry: OutboxEntry): HTMLLIElement {
  const text = String(entry.fields.text ?? '');
  return h(
    'li',
    { class: 'msg mine pending', 'data-client-message-id': entry.id, 'data-pending': true },
    h(
      'div',
      { class: 'bubble' },
      text !== '' && h('p', { class: 'text' }, text),
      h(
        'p',
        { class: 'meta' },
        h('time', { datetime: entry.createdAt }, shortTime(entry.createdAt)),
        h('span', { class: 'ticks', role: 'img', 'aria-label': 'Sending', title: 'Sending' }, ' 🕓'),
      ),
    ),
  );
}

/** ✓ sent, ✓✓ delivered to every other member, blue ✓✓ read by every other member. */
function ticks(m: Message, v: MessagesView): HTMLElement {
  const others = (v.chat.members ?? []).filter((x) => x.userId !== v.me);
  const known = v.chat.members !== null && others.length > 0;
  const read = known && others.every((x) => x.lastReadSeq >= m.seq);
  const delivered = known && others.every((x) => Math.max(x.lastDeliveredSeq, x.lastReadSeq) >= m.seq);
  const [label, mark, cls] = read
    ? ['Read', '✓✓', 'ticks read']
    : delivered
      ? ['Delivered', '✓✓', 'ticks delivered']
      : ['Sent', '✓', 'ticks sent'];
  return h(
    'span',
    { class: cls, role: 'img', 'aria-label': label, title: label, 'data-ticks': label },
    ` ${mark}`,
  );
}

function attachment(att: Attachment): HTMLElement {
  const name = att.fileName ?? att.kind;
  switch (att.kind) {
    case 'image':
      return h(
        'a',
        { href: att.url, target: '_blank', rel: 'noopener' },
        h('img', { src: att.url, alt: name, loading: 'lazy' }),
      );
    case 'audio':
      return h('audio', { src: att.url, controls: true, preload: 'none', 'aria-label': name });
    case 'video':
      return h('video', { src: att.url, controls: true, preload: 'metadata', 'aria-label': name });
    default:
      return h(
        'a',
        { class: 'file', href: att.url, download: name, target: '_blank', rel: 'noopener' },
        `📄 ${name}`,
      );
  }
}

/** Reactions, when the server has them (absent or empty: nothing). Clicking one toggles yours. */
function reactions(m: Message, me: string, a: MessageActions): HTMLElement | null {
  const list = (m as { reactions?: Reaction[] }).reactions;
  if (!Array.isArray(list) || list.length === 0 || m.deleted) return null;
  return h(
    'ul',
    { class: 'reactions', 'aria-label': 'Reactions' },
    list.map((r) => {
      const mineToo = r.userIds.includes(me);
      return h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            class: mineToo ? 'reaction mine' : 'reaction',
            'aria-pressed': mineToo ? 'true' : 'false',
            'aria-label': `${r.emoji} ${r.count}`,
            onclick: () => a.react(m, r.emoji, mineToo),
          },
          `${r.emoji} ${r.count}`,
        ),
      );
    }),
  );
}

function hasMine(list: readonly Reaction[] | undefined, emoji: string, me: string): boolean {
  return Array.isArray(list) && list.some((r) => r.emoji === emoji && r.userIds.includes(me));
}
