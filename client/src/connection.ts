/**
 * The socket and its lifecycle as a state machine, plus request/reply matching.
 *
 *   connecting ──open──▶ open ──lost or suspend()──▶ reconnecting ──open──▶ open …
 *        │                 │                 │
 *        └──── refused handshake (401/403) twice, or close() ────▶ closed
 *
 * - `suspend()` closes the socket and dials nothing until `reconnectNow()` (an app in the background:
 *   the server knows at once the user is away, and pushes; a socket left open can look alive 10 min),
 *   but while a `wake()` holds it open (`syncNow()` after a push): suspended again once none does.
 * - Reconnects with full-jitter exponential backoff after a network loss, a 1001 (idle or 2-hour
 *   limit, server shutdown) or any other close; at once (no backoff) for a planned reconnect and
 *   after `TOKEN_EXPIRED`. The backoff restarts once a reply arrives on the new socket.
 * - Keep-alive `ping` when nothing was sent for `pingIntervalMs`; a ping without a pong within the
 *   request timeout drops the socket (a half-open TCP connection looks exactly like that). A request
 *   that times out sends such a probe (a slow server answers the ping; a dead socket does not).
 * - Planned reconnect before the 2-hour limit, and before the token's `exp` once the token function
 *   gives a token that expires later (renewal.ts); at `exp` without one, as after `TOKEN_EXPIRED`.
 * - A refused handshake: browsers cannot see the HTTP status, Node's `ws` can (401/403); an expired
 *   JWT is recognised locally too. The token function is asked again once; a second refusal stops
 *   the client in `closed` with reason `unauthorized` (no reconnect loop).
 * - A request frame over MAX_FRAME_BYTES is refused before sending (frame.ts); after a 1009 close the
 *   largest request in flight fails with `PAYLOAD_TOO_LARGE` rather than being retried.
 * - After `RATE_LIMITED`, that action's requests wait unsent for `retryAfterMs` (gate.ts).
 * The socket's own handlers (and what they tell of a refused handshake) are wired in socket.ts.
 * One file on purpose: every method reads the same socket state, and moving the close policy out
 * (what `lost` decides) cost 121 bytes of gzipped bundle, against a budget of 12 KB (size.ts).
 */
import type { ConnectionState, StateChange, StateReason, WebSocketLike } from './api.ts';
import type { ConnectionOptions, Frame } from './connection-options.ts';
import { ChatClientError, closedError } from './errors.ts';
import { CLOSE_TOO_BIG, MAX_FRAME_BYTES, parseFrame, tooLarge, utf8Bytes } from './frame.ts';
import { ActionGates } from './gate.ts';
import { InFlightRequests } from './in-flight.ts';
import { Renewal } from './renewal.ts';
import { attach, detach, socketUrl } from './socket.ts';
import { backoff, cancel, jwtClaims, later, randomId, type TimerId } from './util.ts';

export type { ConnectionOptions, Frame, Warn } from './connection-options.ts';

export class Connection {
  state: ConnectionState = 'connecting';
  /** The token of the current socket (for `sub` and `exp`). */
  token = '';
  reconnects = 0;
  private socket: WebSocketLike | undefined;
  private attempt = 0;
  private authRetried?: boolean;
  private tokenExpired?: boolean;
  /** A fresher token got while the socket was up: the next dial uses it. */
  private fresh: string | undefined;
  private lastId = 0;
  private readonly prefix = randomId().slice(-6);
  private readonly inFlight = new InFlightRequests();
  private readonly gates = new ActionGates();
  /** Requests waiting for an open socket: send → fail. */
  private readonly waiting = new Map<() => void, (error: ChatClientError) => void>();
  private dialing?: boolean;
  private asleep?: boolean;
  /** wake()s not done yet: the socket opens for them, suspended or not. */
  private wakes = 0;
  private dialTimer: TimerId;
  private pingTimer: TimerId;
  private plannedTimer: TimerId;
  private readonly renewal: Renewal;

  constructor(private readonly o: ConnectionOptions) {
    const token = o.token;
    this.renewal = new Renewal({
      token: typeof token === 'function' ? token : () => token,
      fresh: (fresh) => {
        this.fresh = fresh;
        this.drop('planned');
      },
      expired: () => this.drop('token-expired'),
      warn: o.warn,
    });
  }

  start(): void {
    void this.dial();
  }

  /**
   * Sends a request and resolves with its reply (`ack`/`pong`), or rejects with a ChatClientError;
   * a frame over MAX_FRAME_BYTES is refused here (`PAYLOAD_TOO_LARGE`) and never sent.
   */
  request(action: string, fields: object = {}, timeoutMs = this.o.requestTimeoutMs): Promise<Frame> {
    if (this.state === 'closed') return Promise.reject(closedError(action));
    const requestId = `${this.prefix}${(++this.lastId).toString(36)}`;
    const frame = JSON.stringify({ ...fields, action, requestId });
    const bytes = utf8Bytes(frame);
    if (bytes > MAX_FRAME_BYTES) return Promise.reject(tooLarge(action, bytes));
    let again = (): void => undefined;
    const reply = new Promise<Frame>((resolve, reject) => {
      const fail = (error: ChatClientError): void => {
        cancel(timer);
        this.waiting.delete(send);
        reject(error);
      };
      const send = (): void => {
        this.waiting.delete(send);
        // The action's gate holds it (gate.ts): the request waits unsent; its timeout restarts after.
        if (this.gates.hold(action, again, fail)) return void cancel(timer);
        const socket = this.socket;
        // A socket already closing (readyState 2 or 3) before its close event is not written to (a
        // browser logs an error for it): the request waits for the next open socket.
        const goingAway = (socket?.readyState ?? 1) > 1;
        if (this.state !== 'open' || !socket || goingAway) return void this.waiting.set(send, fail);
        this.inFlight.set(requestId, { resolve, reject: fail, timer, action, bytes });
        try {
          socket.send(frame);
        } catch {
          // A socket that throws on send is gone; its close event rejects the request.
        }
        this.armPing();
      };
      const expire = (): void => {
        this.waiting.delete(send);
        const sent = this.inFlight.delete(requestId);
        reject(new ChatClientError('TIMEOUT', `No reply to ${action} within ${timeoutMs} ms.`, action));
        if (sent && action !== 'ping') this.probe();
      };
      again = (): void => {
        timer = later(expire, timeoutMs);
        send();
      };
      let timer = later(expire, timeoutMs);
      send();
    });
    // Answered, failed or timed out: the action's gate, if it let this one out, lets out the next.
    return reply.finally(() => this.gates.done(action, again));
  }

  /** Reconnects now when waiting to reconnect (e.g. the app came to the foreground, or went online). */
  reconnectNow(): void {
    this.asleep = false;
    this.redial();
  }

  /** Opens the socket (at once), also while suspended, until the function returned is called. */
  wake(): () => void {
    this.wakes++;
    this.redial();
    return () => {
      if (!--this.wakes && this.asleep) this.suspend();
    };
  }

  suspend(): void {
    this.asleep = true;
    if (this.wakes) return;
    cancel(this.dialTimer);
    this.drop('suspended');
  }

  private redial(): void {
    if (this.state === 'reconnecting' && !this.socket && !this.dialing) {
      cancel(this.dialTimer);
      void this.dial();
    }
  }

  close(): void {
    if (this.state === 'closed') return;
    const socket = this.socket;
    this.stop({ reason: 'closed-by-client' });
    detach(socket)?.close(1000, 'client closed');
  }

  private async dial(): Promise<void> {
    let token: string;
    const fresh = this.fresh;
    this.fresh = undefined;
    this.dialing = true;
    try {
      token = fresh ?? (typeof this.o.token === 'function' ? await this.o.token() : this.o.token);
    } catch (error) {
      this.o.warn('the token function failed', error);
      return this.retry('token-error');
    } finally {
      this.dialing = false;
    }
    if (this.state === 'closed') return;
    if (this.asleep && !this.wakes) return this.retry('suspended');
    this.token = token;
    let socket: WebSocketLike;
    try {
      socket = new this.o.WebSocket(socketUrl(this.o.url, token));
    } catch (error) {
      this.o.warn('could not create the WebSocket', error);
      return this.retry('failed');
    }
    this.socket = socket;
    attach(socket, {
      open: () => this.opened(),
      message: (data) => this.frame(data),
      close: (opened, code, status) => {
        if (socket === this.socket) this.lost(opened, code, status);
      },
    });
  }

  private opened(): void {
    this.authRetried = false;
    this.set({ state: 'open' });
    this.armPing();
    if (this.o.maxSocketAgeMs < 2 ** 31)
      this.plannedTimer = later(() => this.drop('planned'), this.o.maxSocketAgeMs);
    if (typeof this.o.token === 'function') this.renewal.start(this.token);
    for (const send of [...this.waiting.keys()]) send();
    this.o.onOpen();
  }

  private frame(data: unknown): void {
    const frame = parseFrame(data, this.o.warn);
    if (!frame) return;
    if (frame.type === 'error' && frame.code === 'TOKEN_EXPIRED') this.tokenExpired = true;
    // An error frame names its action (protocol.md): a RATE_LIMITED shuts the action's gate, also
    // when it answers a request that is gone (timed out before the answer came).
    if (frame.type === 'error' && frame.code === 'RATE_LIMITED' && typeof frame.action === 'string')
      this.gates.refused(frame.action, Number(frame.retryAfterMs));
    if (this.inFlight.settle(frame)) {
      this.attempt = 0;
    } else if (frame.type === 'error') {
      this.o.warn('an error frame without a request', frame);
    } else if (typeof frame.type === 'string' && frame.type !== 'ack' && frame.type !== 'pong') {
      this.o.onEvent(frame);
    } else if (frame.type === undefined) {
      // API Gateway's own frames (internal error, throttling) name no request of ours.
      this.o.warn('a frame from the gateway', frame);
    }
    if (this.tokenExpired) this.drop('token-expired');
  }

  /** The socket closed (or was dropped): decide what comes next. */
  private lost(opened: boolean, code: number, status: number | undefined, reason?: StateReason): void {
    this.socket = undefined;
    this.cancelTimers();
    // 1009: a frame was over the gateway's limit (one the client measured smaller, or a lower limit
    // than MAX_FRAME_BYTES). The largest frame in flight is over it if any is: it fails for good; the
    // others are retried as after any lost socket.
    if (code === CLOSE_TOO_BIG) this.inFlight.failLargest();
    this.inFlight.failAll(
      (a) => new ChatClientError('DISCONNECTED', 'The socket closed before the reply.', a),
    );
    if (this.state === 'closed') return;
    const exp = jwtClaims(this.token).exp;
    // (A token without `exp` never expires: undefined * 1000 is NaN, never <= now.)
    const refused = opened ? undefined : (status ?? ((exp as number) * 1000 <= Date.now() ? 401 : undefined));
    const expired = this.tokenExpired || reason === 'token-expired';
    this.tokenExpired = false;
    const refreshable = typeof this.o.token === 'function';
    if (refused === 401 || refused === 403) {
      if (!refreshable || this.authRetried) this.stop({ reason: 'unauthorized', status: refused });
      else {
        // Ask the token function once more; a second refusal stops the client.
        this.authRetried = true;
        this.retry('unauthorized', 0, { status: refused });
      }
    } else if (expired) {
      if (refreshable) this.retry('token-expired', 0, { code });
      else this.stop({ reason: 'token-expired', code });
    } else
      this.retry(reason ?? (opened ? 'closed' : 'failed'), reason === 'planned' ? 0 : undefined, { code });
  }

  private retry(reason: StateReason, delayMs?: number, extra: Partial<StateChange> = {}): void {
    if (this.state === 'closed') return;
    const attempt = this.attempt++;
    const delay = delayMs ?? backoff(attempt, this.o.backoffBaseMs, this.o.backoffMaxMs);
    if (this.state === 'open') this.reconnects++;
    this.set({ state: 'reconnecting', reason, delayMs: delay, attempt, ...extra });
    cancel(this.dialTimer);
    if (!this.asleep || this.wakes) this.dialTimer = later(() => void this.dial(), delay);
  }

  /** Gives up on the current socket at once (dead, planned reconnect, expired token). */
  private drop(reason: StateReason): void {
    const socket = detach(this.socket);
    if (!socket) return;
    try {
      socket.close(1000, reason);
    } catch {
      // Already closing.
    }
    this.lost(true, 1000, undefined, reason);
  }

  /** Keep-alive, or a request timed out on an open socket: a ping without a pong proves it dead. */
  private probe(): void {
    if (this.state !== 'open') return;
    const socket = this.socket;
    this.request('ping', {}).catch((error: ChatClientError) => {
      if (error.code === 'TIMEOUT' && socket === this.socket) this.drop('timeout');
    });
  }

  private armPing(): void {
    cancel(this.pingTimer);
    this.pingTimer = later(() => this.probe(), this.o.pingIntervalMs);
  }

  private stop(change: Omit<StateChange, 'state' | 'previous'>): void {
    cancel(this.dialTimer);
    this.cancelTimers();
    this.fresh = undefined;
    this.set({ state: 'closed', ...change });
    this.inFlight.failAll(closedError);
    for (const fail of [...this.waiting.values()]) fail(closedError());
    this.gates.failAll(closedError());
  }

  /** The timers of an open socket. */
  private cancelTimers(): void {
    cancel(this.pingTimer);
    cancel(this.plannedTimer);
    this.renewal.stop();
  }

  private set(change: Omit<StateChange, 'previous'>): void {
    const previous = this.state;
    this.state = change.state;
    this.o.onState({ ...change, previous });
  }
}
