/**
 * The presence of an opened chat's members (up to 50): asked with `getPresence` only for those whose
 * presence the page does not know from the last minute (status.ts), since an answer for users in
 * many chats reads much and counts as several frames of getPresence's limit (docs/security.md, "Reads
 * are limited too"): asking for all 50 at every open was refused after about 17 opens a minute. A
 * refusal is no failure of the open: the status line goes without it, and the page asks for none
 * until its `retryAfterMs` has passed (a request sent meanwhile would wait in the client's gate).
 */
import { type ChatClient, ChatClientError } from '../../client/src/index.ts';
import type { ChatStatus } from './status.ts';

/** Members whose presence an open asks for at most (getPresence takes 100 ids). */
export const PRESENCE_ASKED = 50;

export class PresenceAsks {
  readonly #client: ChatClient;
  readonly #status: ChatStatus;
  #heldUntil = 0;
  /** Ids asked for and not answered yet: a second open meanwhile does not ask again. */
  readonly #asking = new Set<string>();

  constructor(client: ChatClient, status: ChatStatus) {
    this.#client = client;
    this.#status = status;
  }

  /** Asks for the presence of those of `userIds` (the first 50) not known lately; true if it did. */
  async load(userIds: readonly string[]): Promise<boolean> {
    const now = Date.now();
    const asked = this.#status
      .stale(userIds.slice(0, PRESENCE_ASKED), now)
      .filter((u) => !this.#asking.has(u));
    if (asked.length === 0 || now < this.#heldUntil) return false;
    for (const u of asked) this.#asking.add(u);
    try {
      const { presence } = await this.#client.request('getPresence', { userIds: asked });
      for (const p of presence) this.#status.presence(p);
      return true;
    } catch (error) {
      if (error instanceof ChatClientError && error.code === 'RATE_LIMITED')
        this.#heldUntil = Date.now() + (error.retryAfterMs ?? 0);
      return false;
    } finally {
      for (const u of asked) this.#asking.delete(u);
    }
  }
}
