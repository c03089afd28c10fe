/** Messages: history, sendMessage, editMessage, deleteMessage, readMessage, typing. */
import type { Request } from '../contract/index.ts';
import type { MessageRecord } from '../data/store.ts';
import type { Caller } from '../shared/caller.ts';
import { badRequest, conflict, forbidden, notFound } from '../shared/errors.ts';
import { event } from '../shared/frames.ts';
import { logger } from '../shared/logger.ts';
import { type Backoff, backOff } from '../shared/retry.ts';
import { chatNotFound, loadAsMember, userIdsOf } from './access.ts';
import type { Deps } from './deps.ts';
import { newMessageId, seqOfMessageId } from './ids.ts';
import { LIMITS } from './limits.ts';
import { type MessageView, messageView } from './views.ts';

/** Between attempts at the chat's sequence lock: short, the winner's write is already done. */
const SEQ_LOCK_BACKOFF: Backoff = { baseMs: 5, capMs: 50 };

export interface HistoryInput {
  readonly chatId: string;
  readonly before?: number | undefined;
  readonly after?: number | undefined;
  readonly limit: number;
}

export interface MessageRef {
  readonly chatId: string;
  readonly messageId: string;
}

export type SendInput = Request<'sendMessage'>;

/** A send as the domain takes it: the frame's fields and the socket it came from. */
export interface SendMessageInput extends SendInput {
  /** The sender's socket: it gets the ack, so it is left out of the `message.created` fan-out. */
  readonly connectionId: string;
}

/** A page of a chat's history, ascending by seq; `hasMore` in the direction asked. */
export async function getHistory(
  deps: Deps,
  caller: Caller,
  input: HistoryInput,
): Promise<{ messages: MessageView[]; hasMore: boolean }> {
  const me = await deps.store.chats.getMember(input.chatId, caller.userId);
  if (!me) throw chatNotFound(input.chatId);
  const page = await deps.store.messages.getHistoryPage(input.chatId, input);
  return { messages: page.messages.map(messageView), hasMore: page.hasMore };
}

/**
 * The chat's members and the message a messageId names, for a caller who must be a member. Ids of
 * other chats or unknown ids are NOT_FOUND.
 */
async function loadMessage(deps: Deps, caller: Caller, ref: MessageRef) {
  const { chat, members } = await loadAsMember(deps, caller, ref.chatId);
  const seq = seqOfMessageId(ref.messageId);
  const message =
    seq === undefined ? undefined : await deps.store.messages.get(ref.chatId, seq, { consistent: true });
  if (!message || message.messageId !== ref.messageId) {
    throw notFound(`Message "${ref.messageId}" was not found.`);
  }
  return { chat, members, message };
}

export async function sendMessage(
  deps: Deps,
  caller: Caller,
  input: SendMessageInput,
): Promise<{ message: MessageView; duplicate: boolean }> {
  const { chat, members } = await loadAsMember(deps, caller, input.chatId);
  if (input.attachments !== undefined) {
    throw badRequest('"attachments" are not accepted by this server yet.');
  }
  if (input.replyTo !== undefined) {
    const seq = seqOfMessageId(input.replyTo);
    const target = seq === undefined ? undefined : await deps.store.messages.get(input.chatId, seq);
    if (!target || target.messageId !== input.replyTo) {
      throw badRequest('"replyTo" must be the messageId of a message in this chat.');
    }
  }
  let previousSeq = chat.lastSeq;
  for (let attempt = 0; attempt < LIMITS.sendAttempts; attempt++) {
    const seq = previousSeq + 1;
    const message: MessageRecord = {
      chatId: input.chatId,
      messageId: newMessageId(seq),
      seq,
      senderId: caller.userId,
      text: input.text ?? '',
      replyTo: input.replyTo ?? null,
      clientMessageId: input.clientMessageId ?? null,
      createdAt: deps.now().toISOString(),
      editedAt: null,
      deleted: false,
    };
    const outcome = await deps.store.messages.append(message, previousSeq);
    switch (outcome.status) {
      case 'stored': {
        const view = messageView(message);
        // Sockets are looked up only after the message is stored: a socket that opens later finds
        // the message in its catch-up, so no window exists in which a message reaches neither.
        // The sender's read cursor moves in parallel with the fan-out, off the delivery path.
        await Promise.all([
          deps.store.cursors.advance(input.chatId, caller.userId, seq).catch((error: unknown) => {
            logger.warn('could not move the sender read cursor', { error });
          }),
          deps.fanOut.toUsers(userIdsOf(members), event('message.created', { message: view }), {
            excludeConnectionId: input.connectionId,
            chat,
          }),
        ]);
        return { message: view, duplicate: false };
      }
      case 'duplicate': {
        const original = await deps.store.messages.get(input.chatId, outcome.seq, { consistent: true });
        if (!original) throw new Error('a claimed clientMessageId points at no message');
        return { message: messageView(original), duplicate: true };
      }
      case 'chat-gone':
        throw chatNotFound(input.chatId);
      case 'seq-conflict': {
        const latest = outcome.lastSeq ?? (await deps.store.messages.getLastSeq(input.chatId));
        if (latest === undefined) throw chatNotFound(input.chatId);
        previousSeq = latest;
        await backOff(SEQ_LOCK_BACKOFF, attempt);
      }
    }
  }
  throw conflict('The chat is busy right now; retry with the same clientMessageId.');
}

export async function editMessage(
  deps: Deps,
  caller: Caller,
  input: MessageRef & { readonly text: string },
): Promise<{ message: MessageView }> {
  const { chat, members, message } = await loadMessage(deps, caller, input);
  if (message.senderId !== caller.userId) throw forbidden('Only the author can edit this message.');
  if (message.deleted) throw conflict('This message was deleted and cannot be edited.');
  const edited = await deps.store.messages.edit(message, input.text, deps.now().toISOString());
  if (!edited) throw conflict('This message was deleted and cannot be edited.');
  const view = messageView(edited);
  await deps.fanOut.toUsers(userIdsOf(members), event('message.updated', { message: view }), { chat });
  return { message: view };
}

export async function deleteMessage(
  deps: Deps,
  caller: Caller,
  input: MessageRef,
): Promise<{ chatId: string; messageId: string }> {
  const { chat, members, message } = await loadMessage(deps, caller, input);
  if (message.senderId !== caller.userId) throw forbidden('Only the author can delete this message.');
  if (!message.deleted && (await deps.store.messages.softDelete(message))) {
    await deps.fanOut.toUsers(
      userIdsOf(members),
      event('message.deleted', { chatId: input.chatId, messageId: input.messageId, seq: message.seq }),
      { chat },
    );
  }
  return { chatId: input.chatId, messageId: input.messageId };
}

export async function readMessage(
  deps: Deps,
  caller: Caller,
  input: MessageRef,
): Promise<{ chatId: string; lastReadSeq: number }> {
  const { chat, members, message } = await loadMessage(deps, caller, input);
  const cursor = await deps.store.cursors.advance(input.chatId, caller.userId, message.seq);
  if (cursor.status === 'not-member') throw chatNotFound(input.chatId);
  if (cursor.status === 'moved') {
    await deps.fanOut.toUsers(
      userIdsOf(members),
      event('message.read', {
        chatId: input.chatId,
        userId: caller.userId,
        lastReadSeq: cursor.lastReadSeq,
      }),
      { chat },
    );
  }
  return { chatId: input.chatId, lastReadSeq: cursor.lastReadSeq };
}

export async function typing(
  deps: Deps,
  caller: Caller,
  input: { readonly chatId: string; readonly isTyping: boolean },
): Promise<{ chatId: string; isTyping: boolean }> {
  const { chat, members } = await loadAsMember(deps, caller, input.chatId);
  const others = userIdsOf(members).filter((id) => id !== caller.userId);
  await deps.fanOut.toUsers(
    others,
    event('typing', { chatId: input.chatId, userId: caller.userId, isTyping: input.isTyping }),
    { chat },
  );
  return { chatId: input.chatId, isTyping: input.isTyping };
}
