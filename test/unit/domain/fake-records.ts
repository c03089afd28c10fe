/**
 * The records the domain unit tests start from: a group chat and its members, a stored message, a
 * pending upload, a caller, ann's send. Each is in chat g1 by default, made at NOW.
 */
import type { MemberAndChat } from '../../../lambdas/data/chat-lists.ts';
import type { ChatRecord, MemberRecord, MessageRecord, UploadRecord } from '../../../lambdas/data/store.ts';
import { newMessageId } from '../../../lambdas/domain/ids.ts';
import { clock, NOW } from './fake-clock.ts';

/** The first bytes of a PNG (its signature and the IHDR length), as a stored upload's sniffed head. */
export const PNG_HEAD = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

/** ann's pending 100-byte PNG upload `id` in chat g1, made at NOW. */
export const pendingUpload = (id: string, overrides: Partial<UploadRecord> = {}): UploadRecord => ({
  chatId: 'g1',
  uploadId: id,
  userId: 'ann',
  kind: 'image',
  contentType: 'image/png',
  size: 100,
  fileName: null,
  createdAt: NOW,
  status: 'pending',
  usedBy: null,
  ...overrides,
});

export const caller = (userId: string) => ({ userId, name: userId.toUpperCase() });

export function groupChat(
  ownerId: string,
  memberIds: readonly string[],
  overrides: Partial<ChatRecord> = {},
) {
  const chat: ChatRecord = {
    chatId: 'g1',
    kind: 'group',
    name: 'Team',
    ownerId,
    lastSeq: 0,
    memberCount: memberIds.length,
    createdAt: '2026-01-01T00:00:00.000Z',
    lastActivityAt: '2026-01-01T00:00:00.000Z',
    lastVer: 1,
    memberVer: 1,
    lastAllocAt: 0,
    minSyncVer: 0,
    ...overrides,
  };
  const members = memberIds.map(
    (userId, i): MemberRecord => ({
      chatId: chat.chatId,
      userId,
      role: userId === ownerId ? 'owner' : 'member',
      lastReadSeq: 0,
      lastDeliveredSeq: 0,
      joinedAt: `2026-01-0${i + 1}T00:00:00.000Z`,
      kind: chat.kind,
    }),
  );
  return { chat, members };
}

/** What `getMemberAndChat` finds for `userId` in `head` (its first member by default). */
export function memberAndChat(
  head: { chat: ChatRecord; members: MemberRecord[] } = groupChat('ann', ['ann']),
  userId = head.members[0]?.userId,
): MemberAndChat {
  return { member: head.members.find((m) => m.userId === userId), chat: head.chat };
}

/** Ann's send into g1, with a clientMessageId, from her socket k-ann. */
export const annSend = { chatId: 'g1', text: 'hi', clientMessageId: 'cm-1', connectionId: 'k-ann' };

/** A stored message of chat g1 at `seq` (by ann unless overridden). */
export const stored = (seq: number, overrides: Partial<MessageRecord> = {}): MessageRecord => ({
  chatId: 'g1',
  messageId: newMessageId(seq),
  seq,
  senderId: 'ann',
  text: 'hi',
  replyTo: null,
  clientMessageId: null,
  createdAt: NOW,
  editedAt: null,
  deleted: false,
  ver: seq + 1,
  allocAt: clock.ms - 60_000,
  ...overrides,
});
