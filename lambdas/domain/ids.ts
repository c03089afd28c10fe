/**
 * Opaque ids. A messageId carries its seq (base 36) and a random part: it is unique across chats,
 * and resolving it is a key lookup on `MSG#<seq>` in the chat the request names, whose stored
 * messageId must then match (so ids from other chats resolve to nothing).
 */
import { randomBytes } from 'node:crypto';

export function newChatId(): string {
  return `c_${randomBytes(12).toString('base64url')}`;
}

export function newMessageId(seq: number): string {
  return `m${seq.toString(36)}_${randomBytes(9).toString('base64url')}`;
}

const MESSAGE_ID = /^m([0-9a-z]{1,8})_[A-Za-z0-9_-]{12}$/;

/** The seq a messageId names, or undefined when it is not one of ours. */
export function seqOfMessageId(messageId: string): number | undefined {
  const match = MESSAGE_ID.exec(messageId);
  if (!match) return undefined;
  const seq = Number.parseInt(match[1] as string, 36);
  return Number.isSafeInteger(seq) && seq > 0 ? seq : undefined;
}

/** An upload's id (also its attachmentId and the last part of its S3 key): 144 random bits. */
export function newUploadId(): string {
  return `up_${randomBytes(18).toString('base64url')}`;
}
