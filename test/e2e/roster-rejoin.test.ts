/**
 * A member removed and invited back while `member.left` is still going out: the removal's late
 * roster cleanup must not take the sockets of the new membership out of the group's roster (the
 * member would hear nothing of the group until their socket reconnects).
 */
import { describe, expect, it } from 'vitest';
import { aboutMessage, connectUser, eventsOf, makeGroup, sendText, settle } from '../support/chat.ts';
import { sleep } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

/** The roster entries' sort keys of `userId` in the group. */
async function rosterOf(chatId: string, userId: string): Promise<string[]> {
  const items = await stack.items(`ROSTER#${chatId}`);
  return items.map((it) => String(it.sk)).filter((sk) => sk.startsWith(`ONLINE#${userId}#`));
}

describe('removed, then invited back while member.left goes out', () => {
  it('the open socket of the member invited back stays in the roster and gets the next message', async () => {
    const owner = await connectUser(stack, uniqueId('owner'));
    const x = await connectUser(stack, uniqueId('x'));
    const other = await connectUser(stack, uniqueId('other'));
    const chat = await makeGroup(owner, [x.userId, other.userId]);
    await settle(stack, owner, x, other);
    // Every post takes 800 ms: the invite lands while the removal's member.left is still out.
    stack.gateway.setPostLatency(800);
    try {
      const removing = owner.request('removeMember', { chatId: chat.chatId, userId: x.userId });
      await sleep(200);
      const inviting = owner.request('invite', { chatId: chat.chatId, userIds: [x.userId] });
      expect((await removing).type).toBe('ack');
      expect((await inviting).type).toBe('ack');
    } finally {
      stack.gateway.setPostLatency(0);
    }
    await settle(stack, owner, x, other);
    expect(await rosterOf(chat.chatId, x.userId)).toEqual([`ONLINE#${x.userId}#${x.connectionId}`]);
    const m = await sendText(owner, chat.chatId, 'after the re-invite');
    await settle(stack, owner, x, other);
    expect(eventsOf(other, 'message.created', aboutMessage(m.messageId))).toHaveLength(1);
    expect(eventsOf(x, 'message.created', aboutMessage(m.messageId))).toHaveLength(1);
  });

  it('a socket the member opens after being invited back stays in the roster', async () => {
    const owner = await connectUser(stack, uniqueId('owner'));
    const other = await connectUser(stack, uniqueId('other'));
    const xId = uniqueId('x');
    const chat = await makeGroup(owner, [xId, other.userId]);
    await settle(stack, owner, other);
    stack.gateway.setPostLatency(800);
    const x = await (async () => {
      try {
        let removed = false;
        const removing = owner.request('removeMember', { chatId: chat.chatId, userId: xId });
        void removing.then(() => {
          removed = true;
        });
        await sleep(200);
        // Back in the group while member.left goes out, then online: `$connect` lists the socket.
        const inviting = owner.request('invite', { chatId: chat.chatId, userIds: [xId] });
        await sleep(100);
        const socket = await connectUser(stack, xId);
        expect(await rosterOf(chat.chatId, xId)).toEqual([`ONLINE#${xId}#${socket.connectionId}`]);
        expect(removed, 'the removal has not cleaned up yet').toBe(false);
        expect((await removing).type).toBe('ack');
        expect((await inviting).type).toBe('ack');
        return socket;
      } finally {
        stack.gateway.setPostLatency(0);
      }
    })();
    await settle(stack, owner, x, other);
    expect(await rosterOf(chat.chatId, xId)).toEqual([`ONLINE#${xId}#${x.connectionId}`]);
    const m = await sendText(owner, chat.chatId, 'after the re-invite');
    await settle(stack, owner, x, other);
    expect(eventsOf(x, 'message.created', aboutMessage(m.messageId))).toHaveLength(1);
  });
});
