/**
 * Per-action gates (connection.ts). The server limits every action per user and minute and answers a
 * frame beyond the limit `RATE_LIMITED` with `retryAfterMs`; it closes a socket that keeps sending
 * an action after its refusal (docs/security.md, "Flooding sockets"). So after a `RATE_LIMITED` for an
 * action (the error frame names it: also one whose request already timed out), its gate stays shut for `retryAfterMs`: no frame of that action leaves the client
 * meanwhile, whoever asks (the outbox, the catch-up, the app); those requests wait here, unsent, and
 * go out together when the gate opens. Other actions are not held. Only what was in flight when a
 * limit ran out, or what the gate released into a limit spent again, is refused: the server does not
 * count either as ignoring a refusal (it only caps them, at 2,000 a minute).
 */
import type { ChatClientError } from './errors.ts';
import { cancel, later, type TimerId } from './util.ts';

interface Gate {
  until: number;
  timer: TimerId;
  /** Requests waiting for the gate: send → fail. */
  readonly held: Map<() => void, (error: ChatClientError) => void>;
}

export class ActionGates {
  readonly #gates = new Map<string, Gate>();

  /** A `RATE_LIMITED` answer to `action`: shuts its gate for `retryAfterMs` (or longer, if already). */
  refused(action: string, retryAfterMs: number | undefined, now = Date.now()): void {
    if (!retryAfterMs || retryAfterMs <= 0) return;
    const gate = this.#gates.get(action) ?? { until: 0, timer: undefined, held: new Map() };
    if (now + retryAfterMs <= gate.until) return;
    gate.until = now + retryAfterMs;
    this.#gates.set(action, gate);
    cancel(gate.timer);
    gate.timer = later(() => this.#open(action, gate), retryAfterMs);
  }

  /** Whether `action`'s gate is shut; then `send` runs once it opens (`fail`, if the client closes). */
  hold(action: string, send: () => void, fail: (error: ChatClientError) => void): boolean {
    const gate = this.#gates.get(action);
    if (!gate) return false;
    gate.held.set(send, fail);
    return true;
  }

  /** The client closes: every held request fails. */
  failAll(error: ChatClientError): void {
    const gates = [...this.#gates.values()];
    this.#gates.clear();
    for (const gate of gates) {
      cancel(gate.timer);
      for (const fail of gate.held.values()) fail(error);
    }
  }

  #open(action: string, gate: Gate): void {
    if (this.#gates.get(action) === gate) this.#gates.delete(action);
    for (const send of gate.held.keys()) send();
  }
}
