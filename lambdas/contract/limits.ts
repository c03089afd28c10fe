/**
 * The limits of the wire protocol (documented in docs/protocol.md and docs/asyncapi.yaml). Product
 * rules that are not visible on the wire (retries, concurrency) live with the domain.
 */
export const LIMITS = {
  idMaxChars: 64,
  /**
   * A user id (the token's `sub`) is also at most this many bytes of UTF-8, or the handshake is
   * refused (401): 64 characters of 4 bytes would make a message's reaction summary (20 emoji of 20
   * user ids) about 105 KB, and the message about 148 KB with its text and attachments, over API
   * Gateway's 128 KB frame; at 128 bytes the summary is at most about 54 KB.
   */
  userIdMaxBytes: 128,
  textMaxChars: 4000,
  groupNameMaxChars: 100,
  groupMaxMembers: 1000,
  /**
   * Members a Chat object lists at most (the owner, the viewer, then by join order; `memberCount` is
   * exact). A Chat of 1,000 members with 64-character ids would be about 170 KB, over API Gateway's
   * 128 KB frame.
   */
  chatMembersMax: 200,
  inviteMaxIds: 50,
  presenceMaxIds: 100,
  historyDefault: 50,
  historyMax: 100,
  /** The largest seq (and version) a request may name: 12 decimal digits. */
  maxSeq: 999_999_999_999,
  listChatsDefault: 50,
  listChatsMax: 100,
  syncDefault: 100,
  syncMax: 100,
  fileNameMaxChars: 200,
  attachmentsMax: 10,
  emojiMaxChars: 32,
  reactionsMaxDistinct: 20,
  reportReasonMaxChars: 500,
  /**
   * A pre-send hook's refusal sentence as the author sees it (the FORBIDDEN error frame of a send, a
   * failed scheduled message's `detail`): cut to this many characters (code points).
   */
  hookReasonMaxChars: 500,
  deviceTokenMaxChars: 4096,
  scheduleMaxDaysAhead: 30,
  scheduledMaxPending: 100,
  devicesMaxPerUser: 20,
  reportsDefault: 50,
  reportsMax: 100,
  cursorMaxChars: 1024,
  /**
   * Open sockets per user (the next handshake gets 429): the default of the deployment's
   * `MAX_SOCKETS_PER_USER` (lambdas/shared/user-caps.ts). The web page counts its tabs against it.
   */
  socketsPerUser: 10,
  /**
   * listBlocked's `limit` (user ids of at most 64 characters: a full page stays far below 128 KB).
   * Without one it answers every id that fits one frame (lambdas/domain/blocking.ts).
   */
  blockedMax: 100,
} as const;
