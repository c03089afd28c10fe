/**
 * The time bounds of the write path, which readers rely on (docs/data-model.md, "Allocation"):
 *
 * - an allocation request is abandoned (aborted) `allocTimeoutMs` after it was sent;
 * - a write under an allocated seq or version (the message put, an edit, a membership change) is
 *   sent only before, and aborted at, `writeDeadlineMs` after the allocation was sent;
 * - all writes under a clientMessageId claim land before `claimedAt + claimDeadlineMs`;
 * - clocks of different containers (and the late processing of an aborted request) differ by at
 *   most `skewMarginMs`.
 *
 * So a seq or version allocated at `allocAt` (the sender's clock) is settled — its write landed or
 * never will — once `settleWindowMs` has passed, and a claim is stale `claimDeadlineMs +
 * skewMarginMs` after it was made. Tests shorten these with `setWriteTiming`.
 */
export interface WriteTiming {
  readonly allocTimeoutMs: number;
  readonly writeDeadlineMs: number;
  readonly skewMarginMs: number;
  readonly claimDeadlineMs: number;
}

/**
 * Generous next to DynamoDB's milliseconds, so that a slow moment (a loaded machine running
 * DynamoDB Local, a throttled burst) does not cost voids: a write that misses its deadline is
 * retried under a new seq, never lost, but its seq is skipped. What they cost: a `sync` cursor stays
 * up to the settle window (6 s) behind the newest change of a busy chat, and a reader waits up to
 * that long for a seq whose writer died.
 */
export const DEFAULT_WRITE_TIMING: WriteTiming = {
  allocTimeoutMs: 2000,
  writeDeadlineMs: 3000,
  skewMarginMs: 1000,
  claimDeadlineMs: 8000,
};

let current: WriteTiming = DEFAULT_WRITE_TIMING;

export function writeTiming(): WriteTiming {
  return current;
}

/** Replaces some bounds (tests only); `undefined` restores the defaults. */
export function setWriteTiming(next: Partial<WriteTiming> | undefined): void {
  current = { ...DEFAULT_WRITE_TIMING, ...next };
}

/**
 * How long after `allocAt` an allocation is settled. An allocation `j` applied before allocation
 * `k` was sent at most `allocTimeoutMs` before `k` was applied, and `j`'s write lands at most
 * `writeDeadlineMs` after `j` was sent; the margin covers clock skew.
 */
export function settleWindowMs(t: WriteTiming = current): number {
  return t.allocTimeoutMs + t.writeDeadlineMs + t.skewMarginMs;
}

/** A claim made at `claimedAt` by another container can be taken over after this long. */
export function claimStaleAfterMs(t: WriteTiming = current): number {
  return t.claimDeadlineMs + t.skewMarginMs;
}

/** An abort signal that fires at `deadline` (epoch ms), measured from `now`. */
export function signalAt(deadline: number, now: number): AbortSignal {
  return AbortSignal.timeout(Math.max(1, Math.ceil(deadline - now)));
}
