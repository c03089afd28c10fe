/**
 * A message's reactions on screen, and which of them are the user's. `Reaction.userIds` names only
 * the newest 20 reactors (docs/protocol.md, Reactions), so the page also remembers what it learns
 * of the user's own: the acks of its `react` requests and `message.reacted` events by the user (from
 * this page or another device). A reaction whose list is incomplete and about which the page has
 * learnt nothing is "maybe yours": not claimed either way, and its chip takes yours back if it is
 * there, and adds it if it is not.
 */
import type { ChatClient, Message, Reaction } from '../../client/src/index.ts';
import { h } from './dom.ts';

/** Yours, not yours, or not known (the list is incomplete and the page learnt nothing). */
export type Mine = boolean | undefined;

export class MyReactions {
  /** `messageId emoji` → whether the user has it, as last learnt. */
  readonly #known = new Map<string, boolean>();

  constructor(
    private readonly client: ChatClient,
    private readonly me: () => string,
  ) {
    client.on('message.reacted', (e) => {
      if (e.userId === this.me()) this.#learn(e.messageId, e.emoji, !e.removed);
    });
  }

  mine(messageId: string, r: Reaction): Mine {
    if (r.userIds.includes(this.me())) return true;
    if (r.userIds.length >= r.count) return false; // The whole list: it would name the user.
    return this.#known.get(`${messageId} ${r.emoji}`);
  }

  /**
   * Adds (`mine` false) or removes (`mine` true) the user's `emoji`. Not known: removes it, and when
   * that changed nothing (the count did not drop: it was not there) adds it.
   */
  async toggle(m: Message, emoji: string, mine: Mine): Promise<void> {
    if (mine !== undefined) return void (await this.#react(m, emoji, mine));
    const before = count(m, emoji);
    const after = await this.#react(m, emoji, true);
    if (count(after, emoji) >= before) await this.#react(m, emoji, false);
  }

  async #react(m: Message, emoji: string, remove: boolean): Promise<Message> {
    const message = await this.client.react(m.chatId, m.messageId, emoji, remove);
    this.#learn(m.messageId, emoji, !remove);
    return message;
  }

  #learn(messageId: string, emoji: string, mine: boolean): void {
    this.#known.set(`${messageId} ${emoji}`, mine);
  }
}

function count(m: Message, emoji: string): number {
  return (m.reactions ?? []).find((r) => r.emoji === emoji)?.count ?? 0;
}

/** The chips of a message's reactions; clicking one toggles yours (`react`). */
export function reactionChips(
  m: Message,
  list: readonly Reaction[],
  mine: (r: Reaction) => Mine,
  react: (emoji: string, mine: Mine) => void,
): HTMLElement | null {
  if (list.length === 0) return null;
  return h(
    'ul',
    { class: 'reactions', 'aria-label': 'Reactions' },
    list.map((r) => {
      const yours = mine(r);
      return h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            class: yours === true ? 'reaction mine' : yours === undefined ? 'reaction maybe' : 'reaction',
            'data-focus-key': `${m.messageId}:reaction:${r.emoji}`,
            'aria-pressed': yours === true ? 'true' : yours === undefined ? 'mixed' : 'false',
            'aria-label': `${r.emoji} ${r.count}`,
            title:
              yours === undefined
                ? 'Takes yours back if you reacted with it (the list names only the newest), else adds it'
                : undefined,
            onclick: () => react(r.emoji, yours),
          },
          `${r.emoji} ${r.count}`,
        ),
      );
    }),
  );
}
