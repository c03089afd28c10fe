/**
 * A member removed and invited back while `member.left` is still going out: the removal's late
 * roster cleanup must not take the sockets of the new membership out of the group's roster (the
 * member would hear nothing of the group until their socket reconnects).
 */
import { describe, expect, it } from 'vitest';
import { aboutMessage, connectUser, eventsOf, makeGroup, sendText, settle } from '../support/chat.ts';
import { eventually } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

/** The roster entries' sort keys of `userId` in the group. */
async function rosterOf(chatId: string, userId: string): Promise<string[]> {
  const items = await stack.items(`ROSTER#${chatId}`);
  return items.map((it) => String(it.sk)).filter((sk) => sk.startsWith(`ONLINE#${userId}#`));
}

/** Waits until `userId`'s membership item is in the group (`true`) or gone from it (`false`). */
async function untilMember(chatId: string, userId: string, member: boolean): Promise<void> {
  await eventually(
    async () => (await stack.items(`CHAT#${chatId}`)).some((it) => it.sk === `MEMBER#${userId}`) === member,
    15_000,
  );
}

/** Holds the `member.left` posts (the removal's fan-out) until released; the others go out. */
const holdMemberLeft = () =>
  stack.gateway.holdPosts(
    (_connectionId, body) => (JSON.parse(body) as { type?: unknown }).type === 'member.left',
  );

describe('removed, then invited back while member.left goes out', () => {
  it('the open socket of the member invited back stays in the roster and gets the next message', async () => {
    const owner = await connectUser(stack, uniqueId('owner'));
    const x = await connectUser(stack, uniqueId('x'));
    const other = await connectUser(stack, uniqueId('other'));
    const chat = await makeGroup(owner, [x.userId, other.userId]);
    await settle(stack, owner, x, other);
    // The removal's member.left is held: the invite lands (and is done) while it is still out.
    const left = holdMemberLeft();
    try {
      const removing = owner.request('removeMember', { chatId: chat.chatId, userId: x.userId });
      await untilMember(chat.chatId, x.userId, false);
      const inviting = owner.request('invite', { chatId: chat.chatId, userIds: [x.userId] });
      expect((await inviting).type).toBe('ack');
      expect(left.waiting, 'the removal is still posting member.left').toBeGreaterThan(0);
      left.release();
      expect((await removing).type).toBe('ack');
    } finally {
      left.release();
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
    const left = holdMemberLeft();
    const x = await (async () => {
      try {
        let removed = false;
        const removing = owner.request('removeMember', { chatId: chat.chatId, userId: xId });
        void removing.then(() => {
          removed = true;
        });
        await untilMember(chat.chatId, xId, false);
        // Back in the group while member.left goes out, then online: `$connect` lists the socket.
        const inviting = owner.request('invite', { chatId: chat.chatId, userIds: [xId] });
        await untilMember(chat.chatId, xId, true);
        const socket = await connectUser(stack, xId);
        expect(await rosterOf(chat.chatId, xId)).toEqual([`ONLINE#${xId}#${socket.connectionId}`]);
        expect(removed, 'the removal has not cleaned up yet').toBe(false);
        expect(left.waiting, 'the removal is still posting member.left').toBeGreaterThan(0);
        left.release();
        expect((await removing).type).toBe('ack');
        expect((await inviting).type).toBe('ack');
        return socket;
      } finally {
        left.release();
      }
    })();
    await settle(stack, owner, x, other);
    expect(await rosterOf(chat.chatId, xId)).toEqual([`ONLINE#${xId}#${x.connectionId}`]);
    const m = await sendText(owner, chat.chatId, 'after the re-invite');
    await settle(stack, owner, x, other);
    expect(eventsOf(x, 'message.created', aboutMessage(m.messageId))).toHaveLength(1);
  });
});
