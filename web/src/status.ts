/**
 * The open chat's status line: who is typing (for a few seconds after their last `typing` event),
 * else whether a direct chat's other member is online or when they were last seen, or how many of
 * a group's members are online.
 */
import type { ChatInfo, Presence } from '../../client/src/index.ts';
import { displayName } from './dom.ts';

/** How long a `typing` event is shown without a newer one. */
export const TYPING_SHOWN_MS = 6000;

/** How long a user's presence, once known (an answer or an event), is not asked for again. */
export const PRESENCE_FRESH_MS = 60_000;

export class ChatStatus {
  readonly #typing = new Map<string, Map<string, number>>();
  readonly #presence = new Map<string, Presence>();
  readonly #knownAt = new Map<string, number>();

  typing(chatId: string, userId: string, isTyping: boolean): void {
    const users = this.#typing.get(chatId) ?? new Map<string, number>();
    if (isTyping) users.set(userId, Date.now() + TYPING_SHOWN_MS);
    else users.delete(userId);
    this.#typing.set(chatId, users);
  }

  presence(p: Presence, nowMs = Date.now()): void {
    this.#presence.set(p.userId, p);
    this.#knownAt.set(p.userId, nowMs);
  }

  /** Those of `userIds` whose presence is not known from the last `PRESENCE_FRESH_MS`. */
  stale(userIds: readonly string[], nowMs = Date.now()): string[] {
    return userIds.filter((u) => !(nowMs - (this.#knownAt.get(u) ?? -Infinity) < PRESENCE_FRESH_MS));
  }

  /** "online" / "last seen …" of a direct chat's other member, "n members" of a group; typing. */
  text(chatId: string, chat: ChatInfo | undefined, me: string): string {
    const typing = [...(this.#typing.get(chatId) ?? new Map<string, number>())]
      .filter(([, until]) => until > Date.now())
      .map(([userId]) => displayName(userId));
    if (typing.length > 0) return `${typing.join(', ')} ${typing.length > 1 ? 'are' : 'is'} typing…`;
    if (!chat) return '';
    const others = (chat.members ?? []).filter((m) => m.userId !== me);
    if (chat.kind === 'direct' && others[0]) {
      const p = this.#presence.get(others[0].userId);
      if (!p) return '';
      if (p.online) return 'online';
      return p.lastSeenAt ? `last seen ${new Date(p.lastSeenAt).toLocaleString()}` : 'offline';
    }
    const online = others.filter((m) => this.#presence.get(m.userId)?.online).length;
    return `${chat.memberCount} members${online > 0 ? `, ${online} online` : ''}`;
  }
}
