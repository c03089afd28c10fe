/**
 * A scheduled message going out does not move its author's read cursor: what others sent while it
 * waited stays unread for the author, and no other member sees the author as having read it. The
 * author's own message is never unread for them (`sentAhead`), whichever kind of chat, as a message
 * they sent just now is not. Over real sockets, DynamoDB Local and the local due queue and sweep.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/data/keys.ts';
import {
  connectUsers,
  eventsOf,
  getChat,
  type Message,
  makeDirect,
  makeGroup,
  memberOf,
  sendText,
  settle,
  summaryOf,
  type UserSocket,
} from '../support/chat.ts';
import { aboutScheduled, inMs, makeDue, type Scheduled, schedule, withText } from '../support/scheduled.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack();
let doc: DynamoDBDocumentClient;

beforeAll(() => {
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
});
afterAll(() => doc?.destroy());

/** Makes `scheduled` due now and waits until it went out (its message as bob got it). */
async function goOut(alice: UserSocket, bob: UserSocket, scheduled: Scheduled): Promise<Message> {
  await makeDue(stack, alice.userId, scheduled.scheduledId);
  await stack.scheduler.sweepNow({ full: true });
  await alice.event('scheduled.sent', aboutScheduled(scheduled.scheduledId), 15_000);
  const { message } = await bob.event('message.created', withText(scheduled.text), 15_000);
  await settle(stack, alice, bob);
  return message as Message;
}

/** The author's own messages above their cursor, as their membership stores them. */
async function sentAhead(chatId: string, userId: string): Promise<number[]> {
  const { Item } = await doc.send(
    new GetCommand({ TableName: stack.tableName, Key: keys.member(chatId, userId), ConsistentRead: true }),
  );
  return [...((Item?.sentAhead as Set<number> | undefined) ?? [])].map(Number).sort((a, b) => a - b);
}

describe('a scheduled message and its author’s read cursor', () => {
  for (const kind of ['group', 'direct'] as const) {
    it(`${kind}: leaves what others sent unread for the author, and never counts the author’s own`, async () => {
      const [alice, bob] = (await connectUsers(stack, 2, `sched-read-${kind}`)) as [UserSocket, UserSocket];
      const { chatId } =
        kind === 'group' ? await makeGroup(alice, [bob.userId]) : await makeDirect(alice, bob.userId);
      // An hour ahead, so that only the test makes it due (after bob's messages).
      const text = `while you slept (${kind})`;
      const scheduled = await schedule(alice, chatId, text, inMs(3600_000));
      const bobs: Message[] = [];
      for (const t of ['b1', 'b2', 'b3']) bobs.push(await sendText(bob, chatId, t));
      expect(await summaryOf(alice, chatId)).toMatchObject({ lastReadSeq: 0, unreadCount: 3 });

      expect((await goOut(alice, bob, scheduled)).seq).toBe(4);

      // Bob's three are still unread for her; her own message is not unread for her.
      expect(await summaryOf(alice, chatId)).toMatchObject({ lastSeq: 4, lastReadSeq: 0, unreadCount: 3 });
      // Nobody is shown that she read anything.
      expect(memberOf(await getChat(bob, chatId), alice.userId)?.lastReadSeq).toBe(0);
      expect(eventsOf(bob, 'message.read', (f) => f.userId === alice.userId)).toHaveLength(0);

      // She reads bob's last message: nothing is left unread (her own above it does not count).
      await alice.ok('readMessage', { chatId, messageId: bobs[2]?.messageId });
      expect(await summaryOf(alice, chatId)).toMatchObject({ lastReadSeq: 3, unreadCount: 0 });
      // Bob writes again: one unread, his.
      const b5 = await sendText(bob, chatId, 'b5');
      expect(await summaryOf(alice, chatId)).toMatchObject({ lastSeq: 5, lastReadSeq: 3, unreadCount: 1 });

      // Once her cursor has passed it, her next scheduled message's note drops it.
      await alice.ok('readMessage', { chatId, messageId: b5.messageId });
      expect(await sentAhead(chatId, alice.userId)).toEqual([4]);
      const again = await schedule(alice, chatId, `${text}, again`, inMs(3600_000));
      expect((await goOut(alice, bob, again)).seq).toBe(6);
      expect(await sentAhead(chatId, alice.userId)).toEqual([6]);
      expect(await summaryOf(alice, chatId)).toMatchObject({ lastSeq: 6, lastReadSeq: 5, unreadCount: 0 });
    });
  }
});
