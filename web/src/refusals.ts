/**
 * Handshakes that keep failing fast. A browser hides why a WebSocket handshake failed: a refused
 * sign-in (HTTP 401/403: a pasted token with a bad signature, a deactivated user) closes the socket
 * exactly as a network loss does, so the client would retry for ever. A socket closed before it
 * opened, quickly, while the browser is online, looks refused (or the server refuses connections);
 * one that took long looks like a network that is not there (a timeout) and starts the count again.
 * The page gives up only after `count` such failures in a row spanning at least `spanMs` (the client
 * backs off between them), so a brief outage or a server restarting logs nobody out. No DOM: the
 * tests import it directly.
 */

export interface RefusalLimits {
  /** Failed handshakes in a row. */
  readonly count: number;
  /** A handshake that failed within this time counts; a slower one starts the count again. */
  readonly fastMs: number;
  /** From the first failure counted to the last, at least. */
  readonly spanMs: number;
}

/** A real page's (the browser tests build theirs with a shorter span: `timing` in config.ts). */
export const REFUSALS: RefusalLimits = { count: 5, fastMs: 3000, spanMs: 20_000 };

export class Refusals {
  #count = 0;
  #since = 0;

  constructor(private readonly limits: RefusalLimits = REFUSALS) {}

  /** A socket closed without opening, `ms` after it was made, at `now`: true when it is time to give up. */
  failed(ms: number, now: number): boolean {
    if (ms > this.limits.fastMs) {
      this.reset();
      return false;
    }
    if (this.#count === 0) this.#since = now;
    this.#count++;
    return this.#count >= this.limits.count && now - this.#since >= this.limits.spanMs;
  }

  /** A socket opened (or the browser went offline): the count starts again. */
  reset(): void {
    this.#count = 0;
  }
}
