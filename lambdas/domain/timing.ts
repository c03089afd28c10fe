/**
 * The time bounds of the write path, which readers rely on (docs/data-model.md, "Allocation").
 *
 * A seq or version is allocated by an atomic update of the chat head, sent at `sentAt` and answered
 * at `answeredAt` (the writer's clock): it was applied somewhere in between. The write under it (the
 * message put, an edit, a membership change) is sent only before, and aborted at,
 * `sentAt + writeDeadlineMs`, so it lands no later than `writeDeadlineMs` after the allocation was
 * applied. Items record `allocAt` = `answeredAt`.
 *
 * - An allocation `j` applied before allocation `k` lands its write before `k.allocAt +
 *   writeDeadlineMs`: so once `settleWindowMs` (that plus the clock-skew margin) has passed since an
 *   item's `allocAt`, every allocation below it is settled (written, or never will be).
 * - The chat head records `lastAllocAt` = the newest allocation's `sentAt` (the update cannot know
 *   its own answer time); an allocation request is abandoned `allocTimeoutMs` after it was sent, so
 *   a head quiet for `headQuietMs` has nothing in flight.
 * - All writes under a clientMessageId claim land before `claimedAt + claimDeadlineMs`; the claim is
 *   stale `claimStaleAfterMs` after it was made.
 *
 * Generous next to DynamoDB's milliseconds, so that a slow moment (a loaded machine running
 * DynamoDB Local, a throttled burst) costs at most a void (a write that missed its deadline is
 * retried under a new seq, never lost, but its seq is skipped). The environment may change them
 * (`lambdas/shared/config.ts`); tests do with `setWriteTiming`.
 */
import { config } from '../shared/config.ts';

export interface WriteTiming {
  readonly allocTimeoutMs: number;
  readonly writeDeadlineMs: number;
  readonly skewMarginMs: number;
  readonly claimDeadlineMs: number;
}

/**
 * A handler runs at most 10 s (lib/chat-function.ts): a claim's writes all fit in that. The write
 * deadline is what a writer may spend between sending an allocation and its write landing; what
 * it costs is how far a `sync` cursor stays behind a busy chat (the settle window, 6 s).
 */
export const DEFAULT_WRITE_TIMING: WriteTiming = {
  allocTimeoutMs: 8000,
  writeDeadlineMs: 5000,
  skewMarginMs: 1000,
  claimDeadlineMs: 9000,
};

let override: Partial<WriteTiming> | undefined;
let current: WriteTiming | undefined;

/** The bounds in force: the defaults, what the environment sets (`config().writeTiming`), a test's. */
export function writeTiming(): WriteTiming {
  const fromEnvironment = config().writeTiming; // at each call: the test run records its use
  current ??= { ...DEFAULT_WRITE_TIMING, ...fromEnvironment, ...override };
  return current;
}

/** Replaces some bounds (tests); `undefined` goes back to the defaults and the environment. */
export function setWriteTiming(next: Partial<WriteTiming> | undefined): void {
  override = next;
  current = undefined; // read again on first use (the configuration may not be ready yet)
}

/** After an item's `allocAt` plus this, every allocation below it is settled. */
export function settleWindowMs(t: WriteTiming = writeTiming()): number {
  return t.writeDeadlineMs + t.skewMarginMs;
}

/** After a chat head's `lastAllocAt` plus this, no allocation of it is in flight. */
export function headQuietMs(t: WriteTiming = writeTiming()): number {
  return t.allocTimeoutMs + t.writeDeadlineMs + t.skewMarginMs;
}

/** A claim made at `claimedAt` by another container can be taken over after this long. */
export function claimStaleAfterMs(t: WriteTiming = writeTiming()): number {
  return t.claimDeadlineMs + t.skewMarginMs;
}

/** An abort signal that fires at `deadline` (epoch ms), measured from `now`. */
export function signalAt(deadline: number, now: number): AbortSignal {
  return AbortSignal.timeout(Math.max(1, Math.ceil(deadline - now)));
}
