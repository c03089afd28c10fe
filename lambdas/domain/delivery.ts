/**
 * Delivery receipts: `markDelivered` moves the caller's `lastDeliveredSeq` forward only, with one
 * conditional write; when it moved, the other members get `message.delivered` (the chat's members
 * for the fan-out), except in a group bigger than a Chat lists, where nobody does (receipts.ts).
 * Clients call it batched, after a sync or a burst. A seq past the chat's last message is refused
 * (BAD_REQUEST, nothing written): stored, it would mark every later message delivered and stop the
 * cursor for good. The container's cached head vouches for a seq at or below
 * its `lastSeq` (which only lags) without reading the members; the chat's `META` is still read by
 * key (consistently), since a chat marked for deletion is gone (NOT_FOUND, nothing written) and the
 * cache cannot tell. That `META` serves the fan-out, with the cached members while its `memberVer`
 * is the one they were read at (every membership change sets a new one); only when the members
 * changed since are they read again. Otherwise the head is read first (again, consistently, when it
 * says the seq is past the end), and serves the fan-out too.
 */
import type { ChatWithMembers } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { badRequest } from '../shared/errors.ts';
import { event } from '../shared/frames.ts';
import { chatNotFound, userIdsOf } from './access.ts';
import type { Deps } from './deps.ts';
import { receiptsToMembers } from './receipts.ts';

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
  const read = await checkSeq(deps, caller, input);
  const outcome = await deps.store.cursors.markDelivered(chatId, caller.userId, input.seq);
  if (outcome.status === 'not-member') throw chatNotFound(chatId);
  if (outcome.status === 'moved') {
    const { chat, members } = read ?? (await deps.store.chats.getWithMembers(chatId));
    // In a group bigger than a Chat lists, nobody (receipts.ts).
    if (chat && receiptsToMembers(chat)) {
      const others = userIdsOf(members).filter((id) => id !== caller.userId);
      await deps.fanOut.toUsers(
        others,
        event('message.delivered', {
          chatId,
          userId: caller.userId,
          lastDeliveredSeq: outcome.lastDeliveredSeq,
        }),
        { chat },
      );
    }
  }
  return { chatId, lastDeliveredSeq: outcome.lastDeliveredSeq };
}

/**
 * Refuses a seq past the chat's last message (module comment); the head it read or vouched for
 * (undefined when the cached members are older than the `META` it read). Nothing about the chat is
 * told to someone who is not a member (NOT_FOUND first).
 */
async function checkSeq(
  deps: Deps,
  caller: Caller,
  { chatId, seq }: MarkDeliveredInput,
): Promise<ChatWithMembers | undefined> {
  const cached = deps.store.heads.get(chatId);
  if (cached && seq <= cached.chat.lastSeq) {
    const chat = await deps.store.chats.getChat(chatId, { consistent: true });
    if (!chat || chat.deletedAt !== undefined) throw chatNotFound(chatId);
    return chat.memberVer === cached.chat.memberVer ? { chat, members: [...cached.members] } : undefined;
  }
  let loaded: ChatWithMembers | undefined;
  for (const consistent of [false, true]) {
    loaded = await deps.store.chats.getWithMembers(chatId, { consistent });
    deps.store.heads.remember(chatId, loaded);
    const { chat, members } = loaded;
    const member = chat?.deletedAt === undefined && members.some((m) => m.userId === caller.userId);
    if (chat && member && seq <= chat.lastSeq) return loaded;
  }
  const chat = loaded?.chat;
  if (!chat || chat.deletedAt !== undefined || !loaded?.members.some((m) => m.userId === caller.userId))
    throw chatNotFound(chatId);
  throw badRequest(`"seq" ${seq} is past the last message of this chat (${chat.lastSeq}).`);
}
