/** What a message carries besides its text (items.ts): attachments and its reaction summary. */
import { field } from './item.ts';

export const ATTACHMENT_KINDS = ['image', 'audio', 'video', 'file'] as const;
export type AttachmentKind = (typeof ATTACHMENT_KINDS)[number];

/** An upload as a message carries it (its bytes are at `mediaKey(chatId, attachmentId)`). */
export interface StoredAttachment {
  /** The uploadId the message was sent with. */
  readonly attachmentId: string;
  readonly kind: AttachmentKind;
  readonly contentType: string;
  readonly size: number;
  readonly fileName: string | null;
}

/** A message's `attachments` list; absent (not an empty list) when it has none. */
export function storedAttachments(value: unknown): StoredAttachment[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value.map((a: Record<string, unknown>) => ({
    attachmentId: field.string(a.attachmentId),
    kind: field.oneOf(ATTACHMENT_KINDS, 'file')(a.kind),
    contentType: field.string(a.contentType),
    size: field.number(a.size),
    fileName: field.nullableString(a.fileName),
  }));
}

/**
 * Reactions (issue 14). A message carries its reaction summary (`reactions`: per emoji, in the
 * order first added, the exact count and up to `REACTION_USERS_LISTED` user ids, newest first), so
 * every reader of messages gets it with no extra read; the summary is bounded (at most 20 emoji of
 * 20 ids each), so the item stays small however many react. Who has which emoji is a `REACTION`
 * item per (message, user, emoji): what makes adding or removing one idempotent, and what keeps
 * the count exact past the listed ids.
 */
export const REACTION_USERS_LISTED = 20;

/** One emoji of a message's reaction summary. */
export interface StoredReaction {
  readonly emoji: string;
  readonly count: number;
  /** Newest first, at most `REACTION_USERS_LISTED`. */
  readonly userIds: readonly string[];
}

/** A message's `reactions` list; absent (not an empty list) when it has none. */
export function storedReactions(value: unknown): StoredReaction[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value.map((r: Record<string, unknown>) => ({
    emoji: field.string(r.emoji),
    count: field.number(r.count),
    userIds: Array.isArray(r.userIds) ? r.userIds.map(String) : [],
  }));
}
