/**
 * Actions on existing messages: editMessage, deleteMessage, readMessage, typing. Sending lives in
 * `send.ts` (with `append.ts` and `client-ids.ts`), history in `history.ts`, the change feed in
 * `sync.ts`, delivery receipts in `delivery.ts`, who hears of a receipt in `receipts.ts`.
 */

import type { ChatRecord, MemberRecord, MessageRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { badRequest, conflict, forbidden, notFound } from '../shared/errors.ts';
import { event } from '../shared/frames.ts';
import { chatNotFound, userIdsOf } from './access.ts';
import { loadForAction, recordAdminAction } from './admin.ts';
import { blockedByActor } from './blocked-audience.ts';
import { blockedByPeer, refuseBlockedChange } from './blocking.ts';
import type { Deps } from './deps.ts';
import { actionHead } from './heads.ts';
import { screenMessage } from './hooks.ts';
import { seqOfMessageId } from './ids.ts';
import { deleteMessageMedia, messageViews } from './media.ts';
import { fanOutReceipt } from './receipts.ts';
import { changeMessage } from './versions.ts';
import { effectiveReadSeq, type MessageView } from './views.ts';

export interface MessageRef {
  readonly chatId: string;
  readonly messageId: string;
}

/**
 * The chat, its members and the message a messageId names, for a caller who must be a member (the
 * head as `actionHead` reads it: by key and from the container's cache in a big group). Ids of other
 * chats or unknown ids are NOT_FOUND. `asAdministrator`: an administrator need not be a member
 * (their chat and members are read whole: admin.ts).
 */
export async function loadMessage(
  deps: Deps,
  caller: Caller,
  ref: MessageRef,
  options: { asAdministrator?: boolean } = {},
): Promise<{
  chat: ChatRecord;
  members: readonly MemberRecord[];
  me: MemberRecord | undefined;
  /** `me` was read strongly consistently. */
  consistent: boolean;
  message: MessageRecord;
}> {
  const access =
    options.asAdministrator && caller.admin
      ? { ...(await loadForAction(deps, caller, ref.chatId)), consistent: false }
      : await actionHead(deps, caller, ref.chatId);
  return { ...access, message: await findMessage(deps, ref) };
}

/** The message a messageId names in its chat (a consistent key lookup); NOT_FOUND when none. */
export async function findMessage(deps: Deps, ref: MessageRef): Promise<MessageRecord> {
  const seq = seqOfMessageId(ref.messageId);
  const message =
    seq === undefined ? undefined : await deps.store.messages.get(ref.chatId, seq, { consistent: true });
  if (!message || message.messageId !== ref.messageId) {
    throw notFound(`Message "${ref.messageId}" was not found.`);
  }
  return message;
}

export async function editMessage(
  deps: Deps,
  caller: Caller,
  input: MessageRef & { readonly text: string },
): Promise<{ message: MessageView }> {
  const { chat, members, message } = await loadMessage(deps, caller, input);
  // Before the hook: a blocked member's text never reaches it (as a send's, send-checks.ts).
  const blockGuard = await refuseBlockedChange(deps, caller, { chat, members }, 'edit');
  if (message.senderId !== caller.userId) throw forbidden('Only the author can edit this message.');
  if (message.deleted) throw conflict('This message was deleted and cannot be edited.');
  // As for sendMessage: "" only beside attachments (which a message keeps until it is deleted).
  if (input.text === '' && (message.attachments?.length ?? 0) === 0) {
    throw badRequest('"text" must not be empty (it may be "" only on a message with attachments).');
  }
  // The pre-send hook sees every text before it is stored, an edit's too (hooks.ts).
  const { text } = await screenMessage(
    caller,
    { chatId: input.chatId, text: input.text, attachments: message.attachments },
    message.attachments?.flatMap((a) => (a.fileName ? [a.fileName] : [])) ?? [],
  );
  const outcome = await changeMessage(
    deps,
    message,
    { set: { text, editedAt: deps.now().toISOString() }, guard: 'author' },
    blockGuard,
  );
  if (outcome.status === 'refused') throw conflict('This message was deleted and cannot be edited.');
  const [view] = (await messageViews(deps, [outcome.message])) as [MessageView];
  await deps.fanOut.toUsers(userIdsOf(members), event('message.updated', { message: view }), { chat });
  return { message: view };
}

export async function deleteMessage(
  deps: Deps,
  caller: Caller,
  input: MessageRef,
): Promise<{ chatId: string; messageId: string }> {
  const { chat, members, message } = await loadMessage(deps, caller, input, { asAdministrator: true });
  // An administrator may delete any message (recorded below).
  const asAdmin = message.senderId !== caller.userId;
  if (asAdmin && !caller.admin) throw forbidden('Only the author can delete this message.');
  if (!message.deleted) {
    // The bytes go first: if that fails the message is intact and the delete can be retried.
    await deleteMessageMedia(deps, message);
    const outcome = await changeMessage(deps, message, {
      set: { text: '', deleted: true, attachments: [] },
      guard: asAdmin ? 'member' : 'author',
    });
    // Refused: it was deleted meanwhile (by another of the author's sockets), which announced it.
    if (outcome.status === 'applied') {
      // Recorded as soon as it is done: a retry after a later failure finds it deleted and does
      // nothing, so recording it last could leave it unrecorded for good.
      if (asAdmin) await recordAdminAction(deps, caller, { action: 'deleteMessage', ...input });
      const { chatId, messageId, seq, ver } = outcome.message;
      await deps.fanOut.toUsers(
        userIdsOf(members),
        event('message.deleted', { chatId, messageId, seq, ver }),
        { chat },
      );
    }
  }
  return { chatId: input.chatId, messageId: input.messageId };
}

export async function readMessage(
  deps: Deps,
  caller: Caller,
  input: MessageRef,
): Promise<{ chatId: string; lastReadSeq: number }> {
  const { chat, members, me, consistent, message } = await loadMessage(deps, caller, input);
  if (!me) throw chatNotFound(input.chatId); // only the administrator path loads without membership
  // In a direct chat the cursor also counts the caller's own newest message (`sentSeq`).
  const current = effectiveReadSeq(chat, me);
  if (message.seq <= current) {
    if (consistent) return { chatId: input.chatId, lastReadSeq: current };
    // Nothing to write, but the membership was read eventually consistently: another socket of the
    // caller may have moved the cursor further. The answer is the cursor as stored (one consistent
    // key lookup, on this path only; a move's answer comes from its conditional update).
    const stored = await deps.store.cursors.lastReadSeq(input.chatId, caller.userId);
    if (stored === undefined) throw chatNotFound(input.chatId);
    return { chatId: input.chatId, lastReadSeq: Math.max(stored, current) };
  }
  const cursor = await deps.store.cursors.advance(input.chatId, caller.userId, message.seq);
  if (cursor.status === 'not-member') throw chatNotFound(input.chatId);
  if (cursor.status === 'moved') {
    const read = event('message.read', {
      chatId: input.chatId,
      userId: caller.userId,
      lastReadSeq: cursor.lastReadSeq,
    });
    // In a group bigger than a Chat lists, or with more sockets online than a receipt goes to, the
    // reader's own sockets only (receipts.ts).
    await fanOutReceipt(deps, chat, async () => userIdsOf(members), read, caller.userId);
  }
  return { chatId: input.chatId, lastReadSeq: Math.max(cursor.lastReadSeq, current) };
}

export async function typing(
  deps: Deps,
  caller: Caller,
  input: { readonly chatId: string; readonly isTyping: boolean },
): Promise<{ chatId: string; isTyping: boolean }> {
  const { chat, members } = await actionHead(deps, caller, input.chatId);
  // In a direct chat whose other member blocked the caller, nobody is told (the caller is answered
  // as always: typing is fire-and-forget, and the block stays private).
  const answer = { chatId: input.chatId, isTyping: input.isTyping };
  if (await blockedByPeer(deps, caller, { chat, members })) return answer;
  const others = userIdsOf(members).filter((id) => id !== caller.userId);
  // In a group, never to those the caller has blocked (their list read only when someone else's
  // socket is found: blocked-audience.ts); in a direct chat the caller addresses the other member.
  const without =
    chat.kind === 'group'
      ? (ids: readonly string[]) => blockedByActor(deps, caller.userId, chat, ids)
      : undefined;
  // Best-effort: never queued nor retried, and not sent at all into a group with more than 200
  // sockets online (lambdas/fanout/ephemeral.ts; docs/protocol.md, `typing`).
  const frame = event('typing', { ...answer, userId: caller.userId });
  await deps.fanOut.ephemeral(others, frame, { chat, without });
  return answer;
}
