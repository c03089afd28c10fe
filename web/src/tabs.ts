/**
 * The signed-in user's tabs of this origin that have an open socket, as the other tabs see them. The
 * server refuses a user's socket past its cap (LIMITS.socketsPerUser) with HTTP 429, which a browser
 * cannot tell from a refused sign-in: a tab that finds the cap's worth of other tabs with open
 * sockets knows why its handshake failed, and when one of them closes its socket (or the tab), it can
 * connect.
 *
 * Each tab holds a Web Lock named after the user and the tab while its socket is open: the browser
 * lists the held locks of the origin (`navigator.locks.query()`) and releases a tab's locks when the
 * tab closes, reloads or crashes, so nothing is left behind by a tab that could not say goodbye. A
 * tab waiting for room asks for the other tabs' locks: the first one granted means that tab's socket
 * (or the tab) is gone. Without Web Locks (a page that is not a secure context, e.g. plain http on a
 * network address) no tab sees any other. No DOM: the page's client wires it (page-client.ts).
 */

/**
 * After another tab made room, the server frees its socket's slot only once its `$disconnect` has
 * run, which a handshake made at once can beat: a handshake that fails then is retried after these
 * waits (ms), not after the client's backoff (up to 30 s).
 */
export const AFTER_ROOM_MS: readonly number[] = [500, 1500, 3000];

const locks = (): LockManager | undefined => (globalThis.isSecureContext ? navigator.locks : undefined);

/** `chat.socket:"<userId>":<tab>`: the user id as JSON, so no user's prefix is another's. */
const prefixOf = (userId: string) => `chat.socket:${JSON.stringify(userId)}:`;

export class OpenTabs {
  readonly #prefix: string;
  readonly #name: string;
  #holding = false;
  #release: (() => void) | null = null;
  #waiting: AbortController | null = null;

  constructor(userId: string) {
    this.#prefix = prefixOf(userId);
    this.#name = `${this.#prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
  }

  /** This tab's socket opened: the other tabs count it (and stop waiting for room). */
  opened(): void {
    this.#waiting?.abort();
    this.#waiting = null;
    const manager = locks();
    if (!manager || this.#holding) return;
    this.#holding = true;
    // Held until closed() (a request granted after closed() lets go at once).
    void manager.request(
      this.#name,
      () =>
        new Promise<void>((resolve) => {
          if (this.#holding) this.#release = resolve;
          else resolve();
        }),
    );
  }

  /** This tab's socket closed. */
  closed(): void {
    this.#holding = false;
    this.#release?.();
    this.#release = null;
  }

  /** The locks of the user's other tabs with an open socket. */
  async others(): Promise<string[]> {
    const manager = locks();
    if (!manager) return [];
    const { held = [] } = await manager.query().catch(() => ({ held: [] }));
    return held
      .map((lock) => lock.name ?? '')
      .filter((name) => name.startsWith(this.#prefix) && name !== this.#name);
  }

  /**
   * Whether at least `cap` other tabs of the user have an open socket; if so, `room` is called once
   * as soon as one of them closes its socket or the tab (unless this tab's socket opens first).
   */
  async full(cap: number, room: () => void): Promise<boolean> {
    const others = await this.others();
    if (others.length < cap) return false;
    const manager = locks();
    if (!manager) return true;
    // Waits for the tabs open now (not those of an earlier failure).
    this.#waiting?.abort();
    const waiting = new AbortController();
    this.#waiting = waiting;
    for (const name of others) {
      // Granted once that tab lets go; let go at once ourselves, so it can take it again.
      manager
        .request(name, { signal: waiting.signal }, () => undefined)
        .then(
          () => {
            if (waiting.signal.aborted) return;
            waiting.abort();
            if (this.#waiting === waiting) this.#waiting = null;
            room();
          },
          () => undefined, // aborted: this tab connected, or another lock came first
        );
    }
    return true;
  }
}
