/**
 * One message on screen, kept for as long as it is shown: sender, reply quote, text (or "deleted"),
 * attachments (images inline, audio and video players, file links), reactions, time, "edited", on
 * one's own messages the ticks (🕓 sending, ✓ sent, ✓✓ delivered to every other member, blue ✓✓
 * read by all), and the actions. Each part has a key (what it shows); an update rebuilds only the
 * parts whose key changed, inside the same <li>, so hover, focus and selection elsewhere survive.
 * The <li> carries the message's id, seq and state as data attributes (the browser test reads them).
 */
import type { ChatInfo, Message, OutboxEntry, Reaction } from '../../client/src/index.ts';
import { attachmentView } from './attachment.ts';
import { displayName, h, setAttr, shortTime } from './dom.ts';
import { type Mine, reactionChips } from './reactions.ts';

export interface MessageContext {
  readonly me: string;
  readonly chat: ChatInfo;
  /** Every message held (for reply quotes beyond the window). */
  readonly byId: ReadonlyMap<string, Message>;
  readonly editingId: string | null;
  /** Whether a reaction of the message is the user's (reactions.ts). */
  mine(m: Message, r: Reaction): Mine;
}

export interface MessageActions {
  reply(m: Message): void;
  edit(m: Message): void;
  remove(m: Message): void;
  /** Toggles the user's `emoji` (`mine`: whether they have it, undefined when not known). */
  react(m: Message, emoji: string, mine: Mine): void;
  /** A working download URL of one of the message's attachments (renewed when due or `failed`). */
  url(m: Message, attachmentId: string, failed?: string): Promise<string>;
}

const QUICK_REACTION = '👍';

interface Part {
  readonly key: string;
  build(): Node | null;
}

interface Slot {
  node: Node;
  key: string;
}

export class MessageItem {
  readonly el: HTMLLIElement;
  readonly #bubble: HTMLDivElement;
  readonly #slots: Slot[] = [];
  #m: Message;

  constructor(
    m: Message,
    v: MessageContext,
    private readonly actions: MessageActions,
  ) {
    this.#m = m;
    this.#bubble = h('div', { class: 'bubble' });
    this.el = h('li', {}, this.#bubble);
    const parts = this.#parts(v);
    parts.forEach((part, i) => {
      const node = part.build() ?? document.createComment('');
      (i < parts.length - 1 ? this.#bubble : this.el).append(node);
      this.#slots.push({ node, key: part.key });
    });
    this.#attributes(v);
  }

  /** Shows the message's current version: the parts whose key changed are rebuilt, nothing else. */
  update(m: Message, v: MessageContext): void {
    this.#m = m;
    this.#parts(v).forEach((part, i) => {
      const slot = this.#slots[i];
      if (!slot || slot.key === part.key) return;
      const node = part.build() ?? document.createComment('');
      (slot.node as ChildNode).replaceWith(node);
      slot.node = node;
      slot.key = part.key;
    });
    this.#attributes(v);
  }

  #attributes(v: MessageContext): void {
    const m = this.#m;
    const mine = m.senderId === v.me;
    this.el.className = `msg${mine ? ' mine' : ''}${m.messageId === v.editingId ? ' editing' : ''}`;
    setAttr(this.el, 'data-message-id', m.messageId);
    setAttr(this.el, 'data-seq', m.seq);
    setAttr(this.el, 'data-deleted', m.deleted);
    setAttr(this.el, 'data-edited', m.editedAt !== null);
  }

  /** The parts in order: the bubble's, then the actions (after the bubble). */
  #parts(v: MessageContext): Part[] {
    const m = this.#m;
    const mine = m.senderId === v.me;
    const sender = !mine && v.chat.kind === 'group' ? displayName(m.senderId) : '';
    const quote = m.replyTo ? quoteText(v.byId.get(m.replyTo)) : '';
    const text = m.deleted ? null : m.text;
    const time = shortTime(m.createdAt);
    const edited = m.editedAt !== null && !m.deleted;
    const tick = mine && !m.deleted ? ticks(m, v) : null;
    const shown = reactionList(m);
    return [
      { key: sender, build: () => (sender ? h('p', { class: 'sender' }, sender) : null) },
      { key: quote, build: () => (quote ? h('blockquote', { class: 'quote' }, quote) : null) },
      {
        key: text ?? '\u0000deleted',
        build: () =>
          text === null
            ? h('p', { class: 'text deleted' }, h('em', {}, 'Message deleted'))
            : text
              ? h('p', { class: 'text' }, text)
              : null,
      },
      {
        key: m.deleted ? '' : JSON.stringify(m.attachments),
        build: () =>
          !m.deleted && m.attachments.length > 0
            ? h(
                'div',
                { class: 'attachments' },
                m.attachments.map((a) => attachmentView(a, (id, failed) => this.actions.url(m, id, failed))),
              )
            : null,
      },
      {
        key: JSON.stringify(shown.map((r) => [r.emoji, r.count, v.mine(m, r) ?? null])),
        build: () =>
          reactionChips(
            m,
            shown,
            (r) => v.mine(m, r),
            (emoji, mine) => this.actions.react(this.#m, emoji, mine),
          ),
      },
      {
        key: JSON.stringify([m.createdAt, time, edited, tick]),
        build: () =>
          h(
            'p',
            { class: 'meta' },
            h('time', { datetime: m.createdAt }, time),
            edited && h('span', { class: 'edited' }, ' · edited'),
            tick && tickMark(tick),
          ),
      },
      { key: `${m.deleted} ${mine}`, build: () => (m.deleted ? null : this.#actions(mine, v)) },
    ];
  }

  /** The buttons act on the message as it is when clicked (not as it was when they were built). */
  #actions(mine: boolean, v: MessageContext): HTMLElement {
    const a = this.actions;
    const current = () => this.#m;
    const key = (action: string) => `${this.#m.messageId}:${action}`;
    const button = (action: string, label: string, run: () => void, aria?: string) =>
      h('button', { type: 'button', 'data-focus-key': key(action), 'aria-label': aria, onclick: run }, label);
    return h(
      'div',
      { class: 'actions', role: 'group', 'aria-label': 'Message actions' },
      button('reply', 'Reply', () => a.reply(current())),
      mine && button('edit', 'Edit', () => a.edit(current())),
      mine && button('delete', 'Delete', () => a.remove(current())),
      button(
        'react',
        QUICK_REACTION,
        () => {
          const m = current();
          const r = reactionList(m).find((x) => x.emoji === QUICK_REACTION);
          a.react(m, QUICK_REACTION, r ? v.mine(m, r) : false);
        },
        `React with ${QUICK_REACTION}`,
      ),
    );
  }
}

/** A send still in the outbox (it never changes: the acked message replaces it). */
export function pendingItem(entry: OutboxEntry): HTMLLIElement {
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

function quoteText(quoted: Message | undefined): string {
  if (!quoted) return 'An earlier message';
  return `${displayName(quoted.senderId)}: ${quoted.deleted ? 'Message deleted' : quoted.text || 'Attachment'}`;
}

type Tick = 'Read' | 'Delivered' | 'Sent';

/**
 * ✓ sent, ✓✓ delivered to every other member, blue ✓✓ read by every other member: only when every
 * member is listed (a big group's list names 200 of them: `memberCount` says how many there are).
 */
function ticks(m: Message, v: MessageContext): Tick {
  const members = v.chat.members;
  const others = (members ?? []).filter((x) => x.userId !== v.me);
  const known = members !== null && others.length > 0 && members.length >= v.chat.memberCount;
  if (known && others.every((x) => x.lastReadSeq >= m.seq)) return 'Read';
  if (known && others.every((x) => Math.max(x.lastDeliveredSeq, x.lastReadSeq) >= m.seq)) return 'Delivered';
  return 'Sent';
}

function tickMark(label: Tick): HTMLElement {
  const [mark, cls] =
    label === 'Read'
      ? ['✓✓', 'ticks read']
      : label === 'Delivered'
        ? ['✓✓', 'ticks delivered']
        : ['✓', 'ticks sent'];
  return h(
    'span',
    { class: cls, role: 'img', 'aria-label': label, title: label, 'data-ticks': label },
    ` ${mark}`,
  );
}

function reactionList(m: Message): readonly Reaction[] {
  const list = (m as { reactions?: Reaction[] }).reactions;
  return Array.isArray(list) && !m.deleted ? list : [];
}
