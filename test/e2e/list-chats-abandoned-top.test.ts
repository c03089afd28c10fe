import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatSummary } from '../../lambdas/contract/objects.ts';
import { abandonAllocation } from '../support/abandoned.ts';
import { closeAll, connectUsers, makeGroup, sendText, type UserSocket } from '../support/chat.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('listChats over an abandoned top seq', () => {
  it('shows the newest stored message, does not count the abandoned seq as unread, and voids it', async () => {
    const [alice, bob] = (await connectUsers(stack, 2, 'top')) as [UserSocket, UserSocket];
    const { chatId } = await makeGroup(alice, [bob.userId]);
    const first = await sendText(alice, chatId, 'first');
    await abandonAllocation(stack, chatId);

    const summary = ((await bob.ok('listChats')).chats as ChatSummary[]).find((c) => c.chatId === chatId);
    expect(summary?.lastMessage).toMatchObject({ messageId: first.messageId, text: 'first' });
    expect(summary?.unreadCount).toBe(1);
    const top = (await stack.items(`CHAT#${chatId}`)).find(
      (i) => i.sk === `MSG#${String(first.seq + 1).padStart(12, '0')}`,
    );
    expect(top).toBeDefined();
    expect(top?.text).toBeUndefined(); // a void, not a message
    await closeAll(stack, alice, bob);
  });
});
