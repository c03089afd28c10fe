/**
 * Push on the W1 write path (lambdas/domain/send.ts): a send claims its clientMessageId, allocates a
 * seq and a version on `META`, and puts the message; a seq a writer could not use is filled with a
 * void. The stream carries every one of those items, and only the message is a `message.created`:
 * an offline member gets exactly one push per device per real message, never for a void or a claim,
 * nor again for a retried send (same clientMessageId), and the badge leaves voids out.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatStore } from '../../lambdas/data/store.ts';
import { makeGroup, sendText } from '../support/chat.ts';
import {
  contentOf,
  offlineUser,
  pipelineSettled,
  pushesTo,
  twoDevices,
  useAlice,
  usePushStack,
  waitForPushes,
} from '../support/push.ts';

const stack = usePushStack();
const alice = useAlice(stack);
let store: ChatStore;
let client: DynamoDBClient;

beforeAll(() => {
  client = new DynamoDBClient({ endpoint: stack.dynamoEndpoint });
  store = new ChatStore(DynamoDBDocumentClient.from(client), stack.tableName);
});

afterAll(() => client?.destroy());

describe('push on the write path', { timeout: 60_000 }, () => {
  it('one push per device per real message: none for a void or a claim, none again for a retried send', async () => {
    const carol = await offlineUser(stack, twoDevices());
    const chat = await makeGroup(alice, [carol.userId], 'Write path');
    const m1 = await sendText(alice, chat.chatId, 'Before the void', { clientMessageId: 'cm-1' });
    expect(m1.seq).toBe(1);
    for (const device of carol.devices) await waitForPushes(stack, device.token, 1);

    // A writer gave up seq 2: the next send finds it void, takes seq 3.
    expect(await store.sequence.fillVoid(chat.chatId, 2, Date.now())).toEqual({ status: 'voided' });
    const m2 = await sendText(alice, chat.chatId, 'After the void', { clientMessageId: 'cm-2' });
    expect(m2.seq).toBe(3);
    // The client retries the same send (it did not see the ack): the same message, no new item.
    const again = await sendText(alice, chat.chatId, 'After the void', { clientMessageId: 'cm-2' });
    expect(again.messageId).toBe(m2.messageId);

    for (const device of carol.devices) await waitForPushes(stack, device.token, 2);
    await pipelineSettled(stack);
    for (const device of carol.devices) {
      const contents = pushesTo(stack, device.token)
        .map(contentOf)
        .sort((a, b) => Number(a.seq) - Number(b.seq));
      expect(contents.map(({ messageId, seq, body, badge }) => ({ messageId, seq, body, badge }))).toEqual([
        { messageId: m1.messageId, seq: 1, body: 'Before the void', badge: 1 },
        // Unread: seqs 1 to 3 less the void.
        { messageId: m2.messageId, seq: 3, body: 'After the void', badge: 2 },
      ]);
    }
  });
});
