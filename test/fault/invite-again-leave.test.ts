/**
 * A repeated invite racing the invitee's leave: the repeat read the members (the invitee among
 * them), and the invitee left before its roster admission ran. The invitee must not be told they
 * joined a group they left, nor stay listed in its roster (lambdas/domain/chats.ts `inviteAgain`).
 * The repeat is held at its join marker's batch write in the handlers' DynamoDB client (they run
 * in this process) while the invitee leaves.
 */
import { describe, expect, it } from 'vitest';
import {
  aboutMessage,
  connectUser,
  eventsOf,
  forChat,
  makeGroup,
  sendText,
  settle,
} from '../support/chat.ts';
import { deferred, sleep } from '../support/client.ts';
import { useInterceptedStack } from '../support/handler-client.ts';

/** Batch writes that match this (the group's join markers) are held while it is set. */
let holdOn: RegExp | undefined;
let gate = deferred();
let hit = deferred();

const stack = useInterceptedStack(async (command, input) => {
  if (holdOn && command === 'BatchWriteItemCommand' && holdOn.test(input)) {
    holdOn = undefined;
    hit.resolve();
    await gate.promise;
  }
});

describe('repeated invite racing the invitee leaving', () => {
  it('does not tell a user who left that they joined, nor list them in the roster', async () => {
    const owner = await connectUser(stack);
    const other = await connectUser(stack);
    const x = await connectUser(stack);
    const chat = await makeGroup(owner, [other.userId, x.userId]);
    await settle(stack, owner, other, x);

    holdOn = new RegExp(`JOINED#\\d+#${chat.chatId}"`);
    gate = deferred();
    hit = deferred();
    const inviting = owner.request('invite', { chatId: chat.chatId, userIds: [x.userId] });
    await hit.promise; // the repeat read the members (x among them) and is writing x's join marker
    await x.ok('removeMember', { chatId: chat.chatId, userId: x.userId }); // x leaves
    await x.event('member.left', forChat(chat.chatId));
    await sleep(500);
    gate.resolve();
    expect((await inviting).type).toBe('ack');
    await settle(stack, owner, other, x);

    const order = x.frames.filter((f) => forChat(chat.chatId)(f)).map((f) => f.type);
    const roster = (await stack.items(`ROSTER#${chat.chatId}`)).map((it) => String(it.sk));
    const member = (await stack.items(`CHAT#${chat.chatId}`)).filter(
      (it) => String(it.sk) === `MEMBER#${x.userId}`,
    );
    expect(member).toEqual([]); // x left for good
    expect(order).toContain('member.left');
    expect(order.lastIndexOf('chat.joined')).toBeLessThan(order.lastIndexOf('member.left'));
    expect(roster).not.toContain(`ONLINE#${x.userId}#${x.connectionId}`);
    // The others are not told x joined either; and the group still works for them.
    expect(eventsOf(other, 'member.joined', forChat(chat.chatId))).toEqual([]);
    const sent = await sendText(owner, chat.chatId, 'still here');
    await other.event('message.created', aboutMessage(sent.messageId));
  });
});
