/**
 * Renewing the token of an open socket (connection.ts), when `token` is a function. From a minute
 * before the token's `exp` the function is asked a few times (5, 10, 15, 15 … s apart, the last ask
 * 2 s before `exp`) while the socket stays up; the first token that expires later replaces the socket
 * (`fresh`). A token that is not fresher — a cache that hands out the same token until just before
 * `exp`, as Amplify's `fetchAuthSession` does — changes nothing, so it never causes a reconnect loop.
 * At `exp` without a fresher token the socket goes (`expired`), and the client reconnects as after
 * `TOKEN_EXPIRED`. Not when the server accepted a token this clock already calls expired: the
 * server's `TOKEN_EXPIRED` says when, and dropping it here would redial with that token in a loop.
 */
import { cancel, jwtClaims, later, type TimerId } from './util.ts';

/** Start asking for a fresher token this long before the token expires. */
const MARGIN_MS = 60_000;
/** The waits between those asks (the last repeats), and the last ask this long before `exp`. */
const WAITS_MS = [5_000, 10_000, 15_000] as const;
const LAST_MS = 2_000;

export interface RenewalHooks {
  readonly token: () => string | Promise<string>;
  /** A token that expires later than the socket's: replace the socket with it. */
  fresh(token: string): void;
  /** The socket's token has expired and no fresher one came. */
  expired(): void;
  warn(message: string, error: unknown): void;
}

export class Renewal {
  private timer: TimerId;
  private expiryTimer: TimerId;
  /** Bumped by every start and stop: an ask that returns after either is ignored. */
  private round = 0;

  constructor(private readonly hooks: RenewalHooks) {}

  /** A socket opened with `token`. */
  start(token: string): void {
    this.stop();
    const exp = jwtClaims(token).exp;
    if (exp === undefined) return;
    const left = exp * 1000 - Date.now();
    if (left >= 2 ** 31) return;
    const round = this.round;
    this.timer = later(() => void this.ask(round, token, 0), Math.max(0, left - MARGIN_MS));
    if (left > 0) this.expiryTimer = later(() => this.hooks.expired(), left);
  }

  /** The socket is gone. */
  stop(): void {
    this.round++;
    cancel(this.timer);
    cancel(this.expiryTimer);
  }

  private async ask(round: number, current: string, tries: number): Promise<void> {
    const exp = (jwtClaims(current).exp ?? 0) * 1000;
    let token: string | undefined;
    try {
      token = await this.hooks.token();
    } catch (error) {
      this.hooks.warn('the token function failed', error);
    }
    if (round !== this.round) return;
    const next = token === undefined ? undefined : jwtClaims(token).exp;
    if (token !== undefined && token !== current && (next === undefined || next * 1000 > exp)) {
      this.stop();
      return this.hooks.fresh(token);
    }
    const left = exp - Date.now();
    const wait = WAITS_MS[Math.min(tries, WAITS_MS.length - 1)] as number;
    const delay = left - wait >= LAST_MS ? wait : left - LAST_MS;
    if (delay > 0) this.timer = later(() => void this.ask(round, current, tries + 1), delay);
  }
}
