/**
 * The limits the domain enforces: the wire protocol's (lambdas/contract/limits.ts, documented in
 * docs/protocol.md) and the domain's own retry bounds, which clients never see.
 */
import { LIMITS as WIRE_LIMITS } from '../contract/limits.ts';

export const LIMITS = {
  ...WIRE_LIMITS,
  /**
   * Allocations per send: another is needed only when a put missed its deadline, a reader filled
   * the seq, or the members changed meanwhile (all bounded by the send's deadline too).
   */
  sendAttempts: 5,
  /** Versions per edit or deletion: another is needed when a newer change won, or a write timed out. */
  changeAttempts: 4,
  /**
   * Attempts at a membership change (invite, removeMember, creating a direct chat) when the chat
   * changed between the read and the guarded write, before answering CONFLICT.
   */
  membershipAttempts: 3,
} as const;
