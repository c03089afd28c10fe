/** What the chat's counters answer (`SequenceRepository`, sequence.ts): allocations and voids. */
import type { ChatRecord, Slot } from './items.ts';

export interface SeqAllocationInput {
  /** The `memberVer` the sender's view of the members was read at; the update requires it. */
  readonly memberVer: number;
  /** Epoch ms (writer's clock) just before the request is sent: `lastAllocAt`, the message's `allocAt`. */
  readonly sentAt: number;
  /** ISO time of the activity (`lastActivityAt`). */
  readonly at: string;
  /** Direct chats: the sender, whose read cursor (`sentSeq`) moves to the new seq in the same write. */
  readonly sentBy?: string | undefined;
  /** Direct chats: the sender's `sentSeq` stays as it is (a scheduled message going out). */
  readonly keepsReadCursor?: boolean | undefined;
  /**
   * Direct chats: the send read no block item because the head it holds says the blocks are
   * mirrored; the update then also requires `blocksMirrored` (a head cached before a repair removed
   * the mirror is caught here, as a stale member list is).
   */
  readonly trustsMirror?: boolean | undefined;
}

export type SeqAllocation =
  | { readonly status: 'allocated'; readonly seq: number; readonly ver: number }
  /** The members changed since `memberVer` (the chat as the refused write found it). */
  | { readonly status: 'members-changed'; readonly chat: ChatRecord }
  /** Direct chats: the other member has blocked the sender (`blockedSenders`); nothing was written. */
  | { readonly status: 'blocked' }
  /**
   * A transaction held `META` at that moment (a membership change, a block, a void): DynamoDB refused
   * the update (`TransactionConflictException`, which the SDK does not retry) and wrote nothing.
   */
  | { readonly status: 'held' }
  /** `trustsMirror`, but the chat's blocks are no longer mirrored: check them by reading, then retry. */
  | { readonly status: 'unmirrored'; readonly chat: ChatRecord }
  | { readonly status: 'chat-gone' };

export type VersionAllocation =
  | { readonly status: 'allocated'; readonly ver: number }
  /** A change by `changedBy`, whom the other member of the direct chat has blocked: nothing written. */
  | { readonly status: 'blocked' }
  /** `trustsMirror`, but the chat's blocks are no longer mirrored: check them by reading, then retry. */
  | { readonly status: 'unmirrored' }
  /**
   * A transaction held `META` at that moment (a report's ConditionCheck, a membership change, a
   * block, a void): DynamoDB refused the update (`TransactionConflictException`, which the SDK does
   * not retry) and wrote nothing. As `allocate`'s `held`: allocate again once it is done.
   */
  | { readonly status: 'held' }
  | { readonly status: 'chat-gone' };

export type VoidOutcome =
  /** The seq now holds a void (and is in `voidSeqs`). */
  | { readonly status: 'voided' }
  /** Something got there first: the message (it landed after all) or another void. */
  | { readonly status: 'occupied'; readonly slot: Slot }
  | { readonly status: 'chat-gone' };
