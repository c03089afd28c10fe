/**
 * A push provider's retry quota (one per provider and container, deliver.ts): the shared
 * `RetryQuota` (14 a transient failure's retry, 5 a 429's; a success gives its retry's price back),
 * plus a probe. The quota fills again only as calls succeed, and while a provider is down the
 * container's own calls are mostly retries (a deferred notification's next attempt is one): once
 * spent, a container that gets only deferred jobs would refuse every one of them until they expire,
 * even after the provider is back. So when the quota cannot pay, one retry every `probeEveryMs`
 * goes out anyway, free; if the provider answers it, it is back and the quota is full again.
 */
import { type RetryKind, RetryQuota } from '../shared/retry.ts';

/** Between two probes of a provider whose retry quota is spent (per container). */
export const QUOTA_PROBE_MS = 10_000;

/** What a retry costs: the quota's price, or a probe (free), or undefined when it may not go out. */
export type RetryPayment = { readonly cost: number; readonly probe: boolean } | undefined;

export class ProviderQuota extends RetryQuota {
  /** The last probe; at first the quota's making (a container's first `probeEveryMs` probe nothing). */
  #lastProbeAt: number;

  constructor(
    private readonly now: () => number = Date.now,
    readonly probeEveryMs: number = QUOTA_PROBE_MS,
    capacity?: number,
  ) {
    super(capacity);
    this.#lastProbeAt = now();
  }

  /** Pays for a retry of `kind`; a probe when the quota cannot and none went out for a while. */
  pay(kind: RetryKind): RetryPayment {
    const cost = this.take(kind);
    if (cost !== undefined) return { cost, probe: false };
    const at = this.now();
    if (at - this.#lastProbeAt < this.probeEveryMs) return undefined;
    this.#lastProbeAt = at;
    return { cost: 0, probe: true };
  }

  /** A retry that was paid for succeeded: a probe fills the quota again, else its price comes back. */
  paidOff(payment: NonNullable<RetryPayment>): void {
    if (payment.probe) this.release(this.capacity);
    else this.succeeded(payment.cost);
  }
}
