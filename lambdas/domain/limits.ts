/**
 * The limits the domain enforces: the wire protocol's (lambdas/contract/limits.ts, documented in
 * docs/protocol.md) and the domain's own retry bounds, which clients never see.
 */
import { LIMITS as WIRE_LIMITS } from '../contract/limits.ts';

export const LIMITS = {
  ...WIRE_LIMITS,
  /** Attempts to win the chat's sequence lock under contention before answering CONFLICT. */
  sendAttempts: 12,
  /**
   * Attempts at a membership change (invite, removeMember, creating a direct chat) when the chat
   * changed between the read and the guarded write, before answering CONFLICT.
   */
  membershipAttempts: 3,
} as const;
