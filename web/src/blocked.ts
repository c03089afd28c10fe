/**
 * Whom the user has blocked: every page of `listBlocked` (100 at a time, following `nextCursor`),
 * read after each connect, and the "Block"/"Unblock" button of a direct chat.
 */
import type { ChatClient } from '../../client/src/index.ts';
import { displayName } from './dom.ts';

export class Blocked {
  #users = new Set<string>();

  constructor(
    private readonly client: ChatClient,
    private readonly toast: (text: string) => void,
  ) {}

  has(userId: string): boolean {
    return this.#users.has(userId);
  }

  /** Reads the whole list again; on a server without `listBlocked`, nobody is blocked. */
  async load(): Promise<void> {
    const users = new Set<string>();
    try {
      let cursor: string | null = null;
      do {
        const fields = cursor ? { limit: 100, cursor } : { limit: 100 };
        const page: { userIds: string[]; nextCursor: string | null } = await this.client.request(
          'listBlocked',
          fields,
        );
        for (const u of page.userIds) users.add(u);
        cursor = page.nextCursor;
      } while (cursor);
    } catch {
      return; // Not on this server yet (nobody is blocked), or the socket went: the next open reads it.
    }
    this.#users = users;
  }

  /** Blocks or unblocks `userId`; the toast says what happened. */
  async toggle(userId: string): Promise<void> {
    const blocked = this.#users.has(userId);
    try {
      await this.client.request(blocked ? 'unblockUser' : 'blockUser', { userId });
      if (blocked) this.#users.delete(userId);
      else this.#users.add(userId);
      this.toast(`${displayName(userId)} ${blocked ? 'unblocked' : 'blocked'}.`);
    } catch (error) {
      this.toast(`${blocked ? 'Unblock' : 'Block'} failed: ${(error as Error).message}`);
    }
  }
}
