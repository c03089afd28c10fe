/**
 * Per-action gates (connection.ts). The server limits every action per user and minute and answers a
 * frame beyond the limit `RATE_LIMITED` with `retryAfterMs`; it closes a socket that keeps sending
 * an action after its refusal (docs/security.md, "Flooding sockets"). So after a `RATE_LIMITED` for an
 * action (the error frame names it: also one whose request already timed out), its gate stays shut
 * for `retryAfterMs`: no frame of that action leaves the client meanwhile, whoever asks (the outbox,
 * the catch-up, the app); those requests wait here, unsent. Other actions are not held.
 *
 * When the gate opens it lets the held requests out RELEASE_BATCH at a time, in the order they came:
 * the next one as soon as one of those is answered (or fails, or times out). So a burst that finds the
 * limit spent again costs a few refusals, not one per held request: the first refusal shuts the gate
 * before the rest leave. New requests of the action queue behind the held ones until all are out and
 * answered; then the gate is gone. Only what was in flight when a limit ran out, or what the gate
 * released into a limit spent again, is refused: the server does not count either as ignoring a
 * refusal (it only caps them, at 2,000 a minute).
 *
 * The other `RATE_LIMITED` answers, a throttled backend (the server's shared/throttles.ts) and a
 * `requestUpload` while the user's upload budget is busy (its domain/upload-request.ts), carry a
 * `retryAfterMs` of 1 s: the gate then holds the action for a second, which spaces out requests that
 * would likely be refused again, and is not worth the bytes of telling them apart.
 *
 * A refusal longer than LONG_REFUSAL_MS (errors.ts), the daily text budget's (`sendMessage`,
 * `scheduleMessage`: until 00:00 UTC), does not shut the gate: held for hours, a request would look
 * pending to the user. Its request fails at once instead (not retried, the outbox fails its change),
 * and a later one goes out and is refused again by the server, from memory (no write): an app tells
 * the user each time. A client that sends more than 30 such frames in a minute, after the first 3 s,
 * has its socket closed ("Flooding sockets"): so the outbox fails with the first such refusal every
 * queued change of the action too, unsent; only those in flight (at most SENDS_IN_FLIGHT) meet it
 * (and, later, the app's own requests: one a user action, not a loop).
 */
import { type ChatClientError, LONG_REFUSAL_MS } from './errors.ts';
import { cancel, clock, later, type TimerId } from './util.ts';

/** Held requests of an action let out at once when its gate opens; more as these are answered. */
export const RELEASE_BATCH = 4;

type Send = () => void;

interface Gate {
  /** Until when it is shut (clock()): a later refusal that ends sooner does not shorten it. */
  until: number;
  /**
   * Shut until its timer fires: the timer decides, not a clock (a timer may fire a little before
   * the clock reaches `until`, and the wall clock may be set back meanwhile).
   */
  shut: boolean;
  timer?: TimerId;
  /** Requests waiting for the gate, in order: send → fail. */
  readonly held: Map<Send, (error: ChatClientError) => void>;
  /** Requests let out since it opened, not answered yet. */
  readonly out: Set<Send>;
}

/** The gate of each action that has one (a Map itself, not a field: fewer bytes in the bundle). */
export class ActionGates extends Map<string, Gate> {
  /** A `RATE_LIMITED` answer to `action`: shuts its gate for `retryAfterMs` (or longer, if already). */
  refused(action: string, retryAfterMs: number): void {
    if (!(retryAfterMs > 0 && retryAfterMs <= LONG_REFUSAL_MS)) return;
    const now = clock();
    const gate: Gate = this.get(action) ?? {
      until: 0,
      shut: false,
      held: new Map(),
      out: new Set(),
    };
    if (gate.shut && now + retryAfterMs <= gate.until) return;
    gate.until = now + retryAfterMs;
    gate.shut = true;
    this.set(action, gate);
    cancel(gate.timer);
    gate.timer = later(() => {
      gate.shut = false;
      this.release(action, gate);
    }, retryAfterMs);
  }

  /**
   * Whether `send` must wait (the gate is shut, or opened with requests still to let out); then it
   * runs when its turn comes (`fail`, if the client closes). A request let out passes (also again,
   * as after waiting for a socket), unless the gate shut again meanwhile.
   */
  hold(action: string, send: Send, fail: (error: ChatClientError) => void): boolean {
    const gate = this.get(action);
    if (!gate) return false;
    if (!gate.shut && (gate.out.has(send) || (!gate.held.size && gate.out.size < RELEASE_BATCH))) {
      gate.out.add(send);
      return false;
    }
    gate.out.delete(send);
    gate.held.set(send, fail);
    return true;
  }

  /** A request of `action` was answered, failed or timed out: the next held one may go. */
  done(action: string, send: Send): void {
    const gate = this.get(action);
    if (gate?.out.delete(send)) this.release(action, gate);
  }

  /** The client closes: every held request fails. */
  failAll(error: ChatClientError): void {
    const gates = [...this.values()];
    this.clear();
    for (const gate of gates) {
      cancel(gate.timer);
      for (const fail of gate.held.values()) fail(error);
    }
  }

  private release(action: string, gate: Gate): void {
    if (this.get(action) !== gate || gate.shut) return;
    for (const send of gate.held.keys()) {
      if (gate.out.size >= RELEASE_BATCH) return;
      gate.held.delete(send);
      gate.out.add(send);
      send();
    }
    if (!gate.out.size) this.delete(action);
  }
}
