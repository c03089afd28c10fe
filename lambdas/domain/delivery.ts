/**
 * Delivery receipts: `markDelivered` moves the caller's `lastDeliveredSeq` forward only, with one
 * conditional write and no read; when it moved, the other members get `message.delivered` (one
 * Query of the chat's members for the fan-out). Clients call it batched, after a sync or a burst.
 */
import type { Caller } from '../shared/caller.ts';
import { event } from '../shared/frames.ts';
import { chatNotFound, userIdsOf } from './access.ts';
import type { Deps } from './deps.ts';

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
  const outcome = await deps.store.cursors.markDelivered(chatId, caller.userId, input.seq);
  if (outcome.status === 'not-member') throw chatNotFound(chatId);
  if (outcome.status === 'moved') {
    const { chat, members } = await deps.store.chats.getWithMembers(chatId);
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
  return { chatId, lastDeliveredSeq: outcome.lastDeliveredSeq };
}
