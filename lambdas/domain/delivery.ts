/**
 * Delivery receipts: `markDelivered` moves the caller's `lastDeliveredSeq` forward only, with one
 * conditional write (which is also the membership check); when it moved, the other members get
 * `message.delivered`, except in a group bigger than a Chat lists or with more than 200 sockets
 * online, where nobody does (receipts.ts).
 * Clients call it batched, after a sync or a burst.
 *
 * A seq past the chat's last message is refused (BAD_REQUEST, nothing written): stored, it would
 * mark every later message delivered and stop the cursor for good. The seq is checked against the
 * chat's `META`, read by key and strongly consistently (one unit, however many members), as
 * readMessage finds its message by key: its `lastSeq` is the newest allocated, and a chat marked for
 * deletion is gone (NOT_FOUND, nothing written). Before, a big group's member list was read (about
 * 75 units at 1,000 members) whenever the container's cached head, which only this action's own
 * reads brought up to date, did not yet know the seq: marking the newest message, usually.
 *
 * Only a chat whose receipts fan out (its roster read first, up to 201 entries) reads its members,
 * and only when the cursor moved: the container's cached ones while `META`'s `memberVer` is the one
 * they were read at (every membership change sets a new one), else the list (at most 200 members).
 * Nothing about the chat is told to someone who is not a member: NOT_FOUND before the BAD_REQUEST
 * of a seq past the end (their membership read by key, on that path only).
 */
import type { ChatRecord, MemberRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { badRequest } from '../shared/errors.ts';
import { event } from '../shared/frames.ts';
import { chatNotFound, userIdsOf } from './access.ts';
import type { Deps } from './deps.ts';
import { fanOutReceipt } from './receipts.ts';

export interface MarkDeliveredInput {
  readonly chatId: string;
  readonly seq: number;
}

export async function markDelivered(
  deps: Deps,
  caller: Caller,
  input: MarkDeliveredInput,
): Promise<{ chatId: string; lastDeliveredSeq: number }> {
  const { chatId } = input;
  const chat = await checkSeq(deps, caller, input);
  const outcome = await deps.store.cursors.markDelivered(chatId, caller.userId, input.seq);
  if (outcome.status === 'not-member') throw chatNotFound(chatId);
  if (outcome.status === 'moved') {
    const others = async () => userIdsOf(await membersOf(deps, chat)).filter((id) => id !== caller.userId);
    const delivered = event('message.delivered', {
      chatId,
      userId: caller.userId,
      lastDeliveredSeq: outcome.lastDeliveredSeq,
    });
    await fanOutReceipt(deps, chat, others, delivered);
  }
  return { chatId, lastDeliveredSeq: outcome.lastDeliveredSeq };
}

/** The chat's `META` when the seq is at or below its last message (module comment). */
async function checkSeq(
  deps: Deps,
  caller: Caller,
  { chatId, seq }: MarkDeliveredInput,
): Promise<ChatRecord> {
  const chat = await deps.store.chats.getChat(chatId, { consistent: true });
  if (!chat || chat.deletedAt !== undefined) throw chatNotFound(chatId);
  if (seq <= chat.lastSeq) return chat;
  if ((await deps.store.cursors.lastReadSeq(chatId, caller.userId)) === undefined) throw chatNotFound(chatId);
  throw badRequest(`"seq" ${seq} is past the last message of this chat (${chat.lastSeq}).`);
}

/** The members for the fan-out: cached while `memberVer` is unchanged, else read (and cached). */
async function membersOf(deps: Deps, chat: ChatRecord): Promise<readonly MemberRecord[]> {
  const cached = deps.store.heads.get(chat.chatId);
  if (cached && cached.chat.memberVer === chat.memberVer) return cached.members;
  const loaded = await deps.store.chats.getWithMembers(chat.chatId);
  deps.store.heads.remember(chat.chatId, loaded);
  return loaded.members;
}
