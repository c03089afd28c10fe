/**
 * Delivery accounting: every acknowledged message is expected once on every recipient socket.
 * Deliveries are matched by `clientMessageId` (unique per send in the bench); a second delivery of
 * the same message to the same socket is a duplicate; what is still expected at the end is missing.
 */
import type { Frame } from './client.ts';
import type { Latency } from './histogram.ts';

export interface DeliveryCounts {
  /** Messages sent. */
  sent: number;
  /** Sends answered with ack. */
  acked: number;
  /** Sends answered with an error frame or not answered (each counts as a failure). */
  sendErrors: number;
  /** Deliveries expected (recipient sockets of acked messages). */
  expected: number;
  delivered: number;
  duplicated: number;
  missing: number;
  /** message.created for a message the ledger does not know (another phase's, or a stray). */
  unexpected: number;
  /** Deliveries that came after the drain timeout (they stay counted as missing). */
  late: number;
}

interface Expectation {
  readonly sentAt: number;
  readonly latency: Latency;
  /** Recipient index → delivered? */
  readonly recipients: Map<number, boolean>;
  acked: boolean;
}

export class Ledger {
  readonly #open = new Map<string, Expectation>();
  readonly #closed = new Set<string>();
  /** Recipients still owed a message when the drain timed out. */
  readonly #late = new Map<string, Set<number>>();
  readonly counts: DeliveryCounts = {
    sent: 0,
    acked: 0,
    sendErrors: 0,
    expected: 0,
    delivered: 0,
    duplicated: 0,
    missing: 0,
    unexpected: 0,
    late: 0,
  };
  /** Last delivery time (performance.now()). */
  lastDeliveryAt = 0;
  firstSendAt = 0;
  readonly errorSamples: Frame[] = [];
  /** clientMessageIds of the acknowledged sends. */
  readonly ackedIds = new Set<string>();
  /** Failed sends by error code (`NO_REPLY` when none came). */
  readonly errorCodes: Record<string, number> = {};

  #failed(frame: Frame): void {
    this.counts.sendErrors++;
    const code = String(frame.code ?? frame.type ?? 'UNKNOWN');
    this.errorCodes[code] = (this.errorCodes[code] ?? 0) + 1;
    if (this.errorSamples.length < 5) this.errorSamples.push(frame);
  }

  /** Registers a send before its frame is written. */
  expect(clientMessageId: string, recipients: readonly number[], sentAt: number, latency: Latency): void {
    this.counts.sent++;
    if (this.firstSendAt === 0) this.firstSendAt = sentAt;
    this.#open.set(clientMessageId, {
      sentAt,
      latency,
      recipients: new Map(recipients.map((r) => [r, false])),
      acked: false,
    });
  }

  /** Records the sender's reply. */
  reply(clientMessageId: string, frame: Frame): void {
    const entry = this.#open.get(clientMessageId);
    if (!entry) return;
    if (frame.type === 'ack') {
      entry.acked = true;
      this.counts.acked++;
      this.ackedIds.add(clientMessageId);
      this.counts.expected += entry.recipients.size;
      if ([...entry.recipients.values()].every(Boolean)) this.#finish(clientMessageId);
    } else {
      this.#failed(frame);
      // A refused send stores nothing; any delivery of it would be counted as unexpected.
      for (const delivered of entry.recipients.values()) if (delivered) this.counts.unexpected++;
      this.#open.delete(clientMessageId);
    }
  }

  deliver(recipient: number, clientMessageId: string, at: number): void {
    const entry = this.#open.get(clientMessageId);
    if (!entry) {
      const owed = this.#late.get(clientMessageId);
      if (owed?.delete(recipient)) this.counts.late++;
      else if (this.#closed.has(clientMessageId)) this.counts.duplicated++;
      else this.counts.unexpected++;
      return;
    }
    const seen = entry.recipients.get(recipient);
    if (seen === undefined) {
      this.counts.unexpected++;
      return;
    }
    if (seen) {
      this.counts.duplicated++;
      return;
    }
    entry.recipients.set(recipient, true);
    entry.latency.record(at - entry.sentAt);
    this.lastDeliveryAt = at;
    this.counts.delivered++;
    if ([...entry.recipients.values()].every(Boolean) && entry.acked) this.#finish(clientMessageId);
  }

  #finish(clientMessageId: string): void {
    this.#open.delete(clientMessageId);
    this.#closed.add(clientMessageId);
  }

  /** Deliveries still outstanding for acked messages. */
  get outstanding(): number {
    let n = 0;
    for (const entry of this.#open.values()) {
      if (!entry.acked) continue;
      for (const delivered of entry.recipients.values()) if (!delivered) n++;
    }
    return n;
  }

  /** Sends without a reply yet. */
  get unanswered(): number {
    let n = 0;
    for (const entry of this.#open.values()) if (!entry.acked) n++;
    return n;
  }

  /** Waits until nothing is outstanding (or `timeoutMs` passes), then books what is missing. */
  async settle(timeoutMs: number): Promise<DeliveryCounts> {
    const deadline = Date.now() + timeoutMs;
    while ((this.outstanding > 0 || this.unanswered > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const [id, entry] of this.#open) {
      if (!entry.acked) this.#failed({ type: 'error', code: 'NO_REPLY' });
      else {
        const owed = new Set<number>();
        for (const [recipient, delivered] of entry.recipients) if (!delivered) owed.add(recipient);
        this.counts.missing += owed.size;
        if (owed.size > 0) this.#late.set(id, owed);
      }
      this.#finish(id);
    }
    // Wait a little for late duplicates.
    await new Promise((r) => setTimeout(r, 100));
    return { ...this.counts };
  }
}
