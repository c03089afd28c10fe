/** Messages: history, sendMessage, editMessage, deleteMessage, readMessage, typing. */
import type { Request } from '../contract/index.ts';
import type { MessageRecord } from '../data/store.ts';
import { badRequest, conflict, forbidden, notFound } from '../shared/errors.ts';
import { event } from '../shared/frames.ts';
import { logger } from '../shared/logger.ts';
import { requireMember, userIdsOf } from './access.ts';
import type { Caller } from './chats.ts';
import type { Deps } from './deps.ts';
import { newMessageId, seqOfMessageId } from './ids.ts';
import { LIMITS } from './limits.ts';
import { type MessageView, messageView } from './views.ts';

export interface HistoryInput {
  readonly chatId: string;
  readonly before?: number | undefined;
  readonly after?: number | undefined;
  readonly limit: number;
}

export async function history(
  deps: Deps,
  caller: Caller,
  input: HistoryInput,
): Promise<{ messages: MessageView[]; hasMore: boolean }> {
  const me = await deps.store.getMember(input.chatId, caller.userId);
  if (!me) throw notFound(`Chat "${input.chatId}" was not found.`);
  const page = await deps.store.history(input.chatId, input);
  return { messages: page.messages.map(messageView), hasMore: page.hasMore };
}

/** Resolves a messageId within a chat; ids of other chats or unknown ids are NOT_FOUND. */
async function findMessage(deps: Deps, chatId: string, messageId: string): Promise<MessageRecord> {
  const seq = seqOfMessageId(messageId);
  const message = seq === undefined ? undefined : await deps.store.getMessage(chatId, seq, true);
  if (!message || message.messageId !== messageId) throw notFound(`Message "${messageId}" was not found.`);
  return message;
}

export type SendInput = Request<'sendMessage'>;

const jitter = (attempt: number) =>
  new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 5 * 2 ** attempt)));

export async function sendMessage(
  deps: Deps,
  caller: Caller,
  connectionId: string,
  input: SendInput,
): Promise<{ message: MessageView; duplicate: boolean }> {
  const { chat, members } = requireMember(
    await deps.store.getChatWithMembers(input.chatId),
    input.chatId,
    caller.userId,
  );
  if (input.attachments !== undefined) {
    throw badRequest('"attachments" are not accepted by this server yet.');
  }
  if (input.replyTo !== undefined) {
    const seq = seqOfMessageId(input.replyTo);
    const target = seq === undefined ? undefined : await deps.store.getMessage(input.chatId, seq);
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
    const outcome = await deps.store.appendMessage(message, previousSeq);
    switch (outcome.status) {
      case 'stored': {
        const view = messageView(message);
        // Sockets are looked up only after the message is stored: a socket that opens later finds
        // the message in its catch-up, so no window exists in which a message reaches neither.
        // The sender's read cursor moves in parallel with the fan-out, off the delivery path.
        await Promise.all([
          deps.store.advanceReadCursor(input.chatId, caller.userId, seq).catch((error: unknown) => {
            logger.warn('could not move the sender read cursor', { error });
          }),
          deps.notifier.toUsers(userIdsOf(members), event('message.created', { message: view }), {
            excludeConnectionId: connectionId,
          }),
        ]);
        return { message: view, duplicate: false };
      }
      case 'duplicate': {
        const original = await deps.store.getMessage(input.chatId, outcome.seq, true);
        if (!original) throw new Error('a claimed clientMessageId points at no message');
        return { message: messageView(original), duplicate: true };
      }
      case 'chat-gone':
        throw notFound(`Chat "${input.chatId}" was not found.`);
      case 'seq-conflict': {
        const latest = await deps.store.getLastSeq(input.chatId);
        if (latest === undefined) throw notFound(`Chat "${input.chatId}" was not found.`);
        previousSeq = latest;
        await jitter(attempt);
      }
    }
  }
  throw conflict('The chat is busy right now; retry with the same clientMessageId.');
}

export async function editMessage(
  deps: Deps,
  caller: Caller,
  input: { chatId: string; messageId: string; text: string },
): Promise<{ message: MessageView }> {
  const { members } = requireMember(
    await deps.store.getChatWithMembers(input.chatId),
    input.chatId,
    caller.userId,
  );
  const message = await findMessage(deps, input.chatId, input.messageId);
  if (message.senderId !== caller.userId) throw forbidden('Only the author can edit this message.');
  if (message.deleted) throw conflict('This message was deleted and cannot be edited.');
  const edited = await deps.store.editMessage(message, input.text, deps.now().toISOString());
  if (!edited) throw conflict('This message was deleted and cannot be edited.');
  const view = messageView(edited);
  await deps.notifier.toUsers(userIdsOf(members), event('message.updated', { message: view }));
  return { message: view };
}

export async function deleteMessage(
  deps: Deps,
  caller: Caller,
  input: { chatId: string; messageId: string },
): Promise<{ chatId: string; messageId: string }> {
  const { members } = requireMember(
    await deps.store.getChatWithMembers(input.chatId),
    input.chatId,
    caller.userId,
  );
  const message = await findMessage(deps, input.chatId, input.messageId);
  if (message.senderId !== caller.userId) throw forbidden('Only the author can delete this message.');
  if (!message.deleted && (await deps.store.deleteMessage(message))) {
    await deps.notifier.toUsers(
      userIdsOf(members),
      event('message.deleted', { chatId: input.chatId, messageId: input.messageId, seq: message.seq }),
    );
  }
  return { chatId: input.chatId, messageId: input.messageId };
}

export async function readMessage(
  deps: Deps,
  caller: Caller,
  input: { chatId: string; messageId: string },
): Promise<{ chatId: string; lastReadSeq: number }> {
  const { members } = requireMember(
    await deps.store.getChatWithMembers(input.chatId),
    input.chatId,
    caller.userId,
  );
  const message = await findMessage(deps, input.chatId, input.messageId);
  const moved = await deps.store.advanceReadCursor(input.chatId, caller.userId, message.seq);
  if (moved === undefined) {
    const me = await deps.store.getMember(input.chatId, caller.userId);
    if (!me) throw notFound(`Chat "${input.chatId}" was not found.`);
    return { chatId: input.chatId, lastReadSeq: me.lastReadSeq };
  }
  await deps.notifier.toUsers(
    userIdsOf(members),
    event('message.read', { chatId: input.chatId, userId: caller.userId, lastReadSeq: moved }),
  );
  return { chatId: input.chatId, lastReadSeq: moved };
}

export async function typing(
  deps: Deps,
  caller: Caller,
  input: { chatId: string; isTyping: boolean },
): Promise<{ chatId: string; isTyping: boolean }> {
  const { members } = requireMember(
    await deps.store.getChatWithMembers(input.chatId),
    input.chatId,
    caller.userId,
  );
  const others = userIdsOf(members).filter((id) => id !== caller.userId);
  await deps.notifier.toUsers(
    others,
    event('typing', { chatId: input.chatId, userId: caller.userId, isTyping: input.isTyping }),
  );
  return { chatId: input.chatId, isTyping: input.isTyping };
}
