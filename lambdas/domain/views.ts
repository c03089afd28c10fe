/** Wire objects of the protocol (Message, Chat, ChatSummary) built from stored records. */
import { LIMITS } from '../contract/limits.ts';
import type { Attachment, Chat, ChatSummary, Member, Message } from '../contract/objects.ts';
import type { SignedUrl } from '../data/media-bucket.ts';
import {
  byJoined,
  type ChatRecord,
  type MemberRecord,
  type MessageRecord,
  type StoredAttachment,
} from '../data/store.ts';
import { activeMute } from './mute.ts';
import { previewText } from './preview.ts';

export type MessageView = Message;
export type MemberView = Member;
export type ChatView = Chat;
export type ChatSummaryView = ChatSummary;

/** Presigned GET URLs of attachments, by attachmentId (`signAttachments` in ./media.ts). */
export type AttachmentLinks = ReadonlyMap<string, SignedUrl>;
const NO_LINKS: AttachmentLinks = new Map();

/**
 * A message as the wire shows it. Its attachments need their URLs in `links` (signed by
 * `signAttachments`/`messageViews` in ./media.ts); an attachment without one is left out. A deleted
 * message shows none.
 */
export function messageView(m: MessageRecord, links: AttachmentLinks = NO_LINKS): Message {
  return {
    chatId: m.chatId,
    messageId: m.messageId,
    seq: m.seq,
    ver: m.ver,
    senderId: m.senderId,
    text: m.deleted ? '' : m.text,
    replyTo: m.replyTo ?? null,
    clientMessageId: m.clientMessageId ?? null,
    createdAt: m.createdAt,
    editedAt: m.editedAt ?? null,
    deleted: m.deleted,
    attachments: m.deleted
      ? []
      : (m.attachments ?? []).flatMap((a) => {
          const link = links.get(a.attachmentId);
          return link ? [attachmentView(a, link)] : [];
        }),
    reactions: m.deleted
      ? []
      : (m.reactions ?? []).map((r) => ({ emoji: r.emoji, count: r.count, userIds: [...r.userIds] })),
  };
}

export function attachmentView(a: StoredAttachment, link: SignedUrl): Attachment {
  return {
    attachmentId: a.attachmentId,
    kind: a.kind,
    contentType: a.contentType,
    size: a.size,
    fileName: a.fileName,
    url: link.url,
    urlExpiresAt: link.expiresAt,
  };
}

/**
 * At most `LIMITS.chatMembersMax` members in join order; a bigger group lists its owner first, then
 * the members named in `first` (the viewer: a member must find their own entry, whose read cursor
 * the client takes; for `chat.joined`, those who joined), then the first others by join order.
 * `memberCount` says how many there are.
 */
function listed(
  chat: ChatRecord,
  members: readonly MemberRecord[],
  first: readonly string[],
): MemberRecord[] {
  const sorted = [...members].sort(byJoined);
  if (sorted.length <= LIMITS.chatMembersMax) return sorted;
  const ahead = new Set(first);
  const owner = sorted.filter((m) => m.userId === chat.ownerId);
  const named = sorted.filter((m) => m.userId !== chat.ownerId && ahead.has(m.userId));
  const others = sorted.filter((m) => m.userId !== chat.ownerId && !ahead.has(m.userId));
  return [...owner, ...named, ...others].slice(0, LIMITS.chatMembersMax);
}

/**
 * A member's read cursor: the stored `lastReadSeq`, and in a direct chat at least the member's own
 * newest message (`sentSeq`, moved by the allocation of that message).
 */
export function effectiveReadSeq(chat: Pick<ChatRecord, 'sentSeq'>, member: MemberRecord): number {
  return Math.max(member.lastReadSeq, chat.sentSeq?.[member.userId] ?? 0);
}

/**
 * The messages after a read cursor: allocated seqs, less the voids among them and the member's own
 * messages (a member's own message is never unread for them). Sending moves the sender's cursor to
 * their message, so only those that went out without moving it are above it (scheduled messages:
 * the membership's `sentAhead`, sender-cursor.ts).
 */
export function unreadCount(
  chat: Pick<ChatRecord, 'lastSeq' | 'voidSeqs'>,
  cursor: number,
  sentAhead?: ReadonlySet<number>,
): number {
  const above = (seq: number) => seq > cursor && seq <= chat.lastSeq;
  let skipped = 0;
  for (const seq of chat.voidSeqs ?? []) if (above(seq)) skipped++;
  for (const seq of sentAhead ?? []) if (above(seq) && !chat.voidSeqs?.has(seq)) skipped++;
  return Math.max(0, chat.lastSeq - cursor - skipped);
}

export function memberView(chat: ChatRecord, m: MemberRecord): Member {
  return {
    userId: m.userId,
    role: m.userId === chat.ownerId ? 'owner' : 'member',
    lastReadSeq: effectiveReadSeq(chat, m),
    lastDeliveredSeq: m.lastDeliveredSeq,
    joinedAt: m.joinedAt,
  };
}

/**
 * The other of a direct chat's pair for `viewer` (the wire's `peerId`): from the pair on `META`,
 * which names them also while they have left it. A chat created before `META` held the pair has
 * none: the other member, when both are in it (`members`, or the viewer's membership, whose
 * `peerId` a leave removes); none once one left. Undefined in a group, or to one not of the pair.
 */
export function peerFor(
  chat: Pick<ChatRecord, 'kind' | 'pair'>,
  viewer: string,
  members: readonly Pick<MemberRecord, 'userId' | 'peerId'>[],
): string | undefined {
  if (chat.kind !== 'direct') return undefined;
  const pair = chat.pair
    ? [...chat.pair]
    : members.flatMap((m) => [m.userId, ...(m.peerId ? [m.peerId] : [])]);
  return pair.includes(viewer) ? pair.find((id) => id !== viewer) : undefined;
}

const peerField = (peerId: string | undefined): { peerId?: string } => (peerId ? { peerId } : {});

/**
 * A Chat for its members. `first`: who a group of more than `LIMITS.chatMembersMax` lists right
 * after its owner (`listed`): the viewer, or those a `chat.joined` is for. `viewer`: who it is for,
 * whose peer a direct chat's names (`peerFor`); a direct chat's Chat is for one of the pair.
 */
export function chatView(
  chat: ChatRecord,
  members: readonly MemberRecord[],
  first: readonly string[] = [],
  viewer?: string,
): Chat {
  return {
    chatId: chat.chatId,
    kind: chat.kind,
    name: chat.name ?? null,
    ownerId: chat.ownerId,
    ...peerField(viewer === undefined ? undefined : peerFor(chat, viewer, members)),
    memberCount: members.length,
    members: listed(chat, members, first).map((m) => memberView(chat, m)),
    lastSeq: chat.lastSeq,
    lastVer: chat.lastVer,
    createdAt: chat.createdAt,
  };
}

/**
 * The Chat each of `viewers` is to get (`chat.created` of a new group): one for all of them up to
 * `LIMITS.chatMembersMax` members; in a bigger group one per part of them, each listing its part
 * right after the owner (`listed`: each viewer finds their own entry), the owner in the first.
 */
export function chatViewsFor(
  chat: ChatRecord,
  members: readonly MemberRecord[],
  viewers: readonly string[],
): { readonly userIds: string[]; readonly chat: Chat }[] {
  if (members.length <= LIMITS.chatMembersMax)
    return [{ userIds: [...viewers], chat: chatView(chat, members) }];
  const others = [...new Set(viewers)].filter((id) => id !== chat.ownerId);
  const size = LIMITS.chatMembersMax - 1; // the owner, then the part
  const parts: string[][] = [];
  for (let i = 0; i < others.length; i += size) parts.push(others.slice(i, i + size));
  if (viewers.includes(chat.ownerId)) {
    const [first] = parts;
    if (first) first.push(chat.ownerId);
    else parts.push([chat.ownerId]);
  }
  return parts.map((userIds) => ({ userIds, chat: chatView(chat, members, userIds) }));
}

/**
 * The Chat each of `joined` is to get of a chat they joined (`chat.joined`), listing them right after
 * a big group's owner: one for all of them in a group (`view`, when the caller has it already); in a
 * direct chat one each, naming their peer.
 */
export function joinedViews(
  chat: ChatRecord,
  members: readonly MemberRecord[],
  joined: readonly string[],
  view?: Chat,
): { readonly userIds: string[]; readonly chat: Chat }[] {
  if (chat.kind !== 'direct')
    return [{ userIds: [...joined], chat: view ?? chatView(chat, members, joined) }];
  return joined.map((id) => ({ userIds: [id], chat: chatView(chat, members, joined, id) }));
}

export function chatSummaryView(
  chat: ChatRecord,
  membership: MemberRecord,
  lastMessage: MessageRecord | undefined,
  links: AttachmentLinks = NO_LINKS,
  now: Date = new Date(),
): ChatSummary {
  const last = lastMessage && messageView(lastMessage, links);
  const lastReadSeq = effectiveReadSeq(chat, membership);
  return {
    chatId: chat.chatId,
    kind: chat.kind,
    name: chat.name ?? null,
    ownerId: chat.ownerId,
    ...peerField(peerFor(chat, membership.userId, [membership])),
    memberCount: chat.memberCount,
    lastSeq: chat.lastSeq,
    lastVer: chat.lastVer,
    lastMessage: last ? { ...last, text: previewText(last) } : null,
    lastReadSeq,
    unreadCount: unreadCount(chat, lastReadSeq, membership.sentAhead),
    mutedUntil: activeMute(membership.mutedUntil, now),
  };
}
