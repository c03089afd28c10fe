/** Product limits (documented in docs/protocol.md). */
export const LIMITS = {
  textMaxChars: 4000,
  groupNameMaxChars: 100,
  groupMaxMembers: 200,
  inviteMaxIds: 50,
  presenceMaxIds: 100,
  historyDefault: 50,
  historyMax: 100,
  /** Attempts to win the chat's sequence lock under contention before answering CONFLICT. */
  sendAttempts: 12,
  /**
   * Attempts at a membership change (invite, removeMember, creating a direct chat) when the chat
   * changed between the read and the guarded write, before answering CONFLICT.
   */
  membershipAttempts: 3,
} as const;
