/**
 * readMessage's ack after an eventually consistent read: the membership it reads may lag behind a
 * move another socket of the caller already made. DynamoDB Local always reads the latest, so the lag
 * is played by answering the handler's eventually consistent member read from a snapshot taken
 * before that move; everything else runs against the table.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChatRepository } from '../../lambdas/data/chats.ts';
import {
  anotherSocket,
  connectUser,
  eventsOf,
  type Message,
  makeGroup,
  sendText,
  settle,
} from '../support/chat.ts';
import { useTestStack } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

const stack = useTestStack();
const table = useTableStore(stack);

afterEach(() => {
  vi.restoreAllMocks();
});

describe('readMessage after a lagging read of the membership', () => {
  it('answers the cursor as stored, never the lagging one', async () => {
    const owner = await connectUser(stack);
    const other = await connectUser(stack);
    const other2 = await anotherSocket(stack, other);
    const { chatId } = await makeGroup(owner, [other.userId], 'Lagging');
    const messages: Message[] = [];
    for (let i = 1; i <= 5; i++) messages.push(await sendText(owner, chatId, `message ${i}`));
    await other.ok('readMessage', { chatId, messageId: messages[1]?.messageId });
    const lagging = await table.store.chats.getWithMembers(chatId, { consistent: true });
    await other2.ok('readMessage', { chatId, messageId: messages[4]?.messageId });
    await settle(stack, owner, other, other2);

    const read = ChatRepository.prototype.getWithMembers;
    vi.spyOn(ChatRepository.prototype, 'getWithMembers').mockImplementation(function (
      this: ChatRepository,
      id,
      options = {},
    ) {
      return id === chatId && !options.consistent ? Promise.resolve(lagging) : read.call(this, id, options);
    });
    const ack = await other.ok('readMessage', { chatId, messageId: messages[0]?.messageId });
    expect(ack).toMatchObject({ chatId, lastReadSeq: 5 });
    await settle(stack, owner, other, other2);
    // Nothing moved, so nothing was announced beyond the two moves.
    const moves = eventsOf(owner, 'message.read', (f) => f.userId === other.userId);
    expect(moves.map((f) => f.lastReadSeq)).toEqual([2, 5]);
  });
});
