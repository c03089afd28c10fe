/**
 * U+FFFF and U+FFFE in what the product queues. SQS refuses a message body holding them
 * (`InvalidMessageContents`), and so does the local stand-in (local/sqs.ts); `JSON.stringify`
 * writes them as they are, so a job carrying a group's name, a message's text or a stored key with
 * one was refused: a group's notifications dead-lettered, a big group's posts made in the request
 * (or lost), a deleted chat's partition never expired. Every producer writes its body with
 * `sqsBody` (lambdas/queue/sqs-body.ts), which escapes them: here each of those jobs goes through
 * the queue and does its work.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { RETENTION_FINISH_DELAY_ENV } from '../../lambdas/shared/config.ts';
import { FANOUT_WORKER, PUSH_WORKER, RETENTION_WORKER } from '../../lib/workers.ts';
import type { PushRecord } from '../../local/push/providers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { closeAll, connectUsers, groupOfTwo, type Message, makeGroup, sendText } from '../support/chat.ts';
import { eventually } from '../support/client.ts';
import {
  contentOf,
  offlineUser,
  pipelineSettled,
  pushesTo,
  uniqueToken,
  useAlice,
  usePushStack,
  waitForPushes,
} from '../support/push.ts';

const stack = usePushStack({
  env: {
    // Every group message's notifications go through the push worker's queue.
    PUSH_JOB_SIZE: '1',
    // More than 2 sockets: the fan-out worker's queue (200 by default; the path is the same).
    FANOUT_QUEUE_THRESHOLD: '2',
    FANOUT_JOB_SIZE: '2',
    // One key a job: the retention of a deleted chat continues from every key of its partition.
    RETENTION_PAGE_SIZE: '1',
    RETENTION_MAX_PAGES: '1',
    [RETENTION_FINISH_DELAY_ENV]: '1',
  },
});
const alice = useAlice(stack);
const queue = (name: string) => stack.queues.get(name) as LocalQueue;

describe('jobs carrying U+FFFF or U+FFFE go through SQS', { timeout: 120_000 }, () => {
  it('a group named with U+FFFF: its push jobs are queued and the offline members are notified', async () => {
    const token = uniqueToken('bob');
    const other = uniqueToken('carol');
    const bob = await offlineUser(stack, [{ platform: 'apns', token }]);
    const carol = await offlineUser(stack, [{ platform: 'fcm', token: other }]);
    const group = await makeGroup(alice, [bob.userId, carol.userId], 'Plans \uFFFF');
    const { sent } = queue(PUSH_WORKER.name).stats;
    const deadLetters = stack.pipeline.streams.deadLetters.length;
    await sendText(alice, group.chatId, 'see you \uFFFE');
    await waitForPushes(stack, token, 1);
    await waitForPushes(stack, other, 1);
    await pipelineSettled(stack);
    // Two recipients, one to a job: both queued.
    expect(queue(PUSH_WORKER.name).stats.sent - sent).toBe(2);
    const content = contentOf(pushesTo(stack, token)[0] as PushRecord);
    expect(content.chatId).toBe(group.chatId);
    expect(String(content.title)).toContain('Plans \uFFFF');
    expect(String(content.body)).toContain('see you \uFFFE');
    expect(stack.pipeline.streams.deadLetters.length).toBe(deadLetters);
    expect(queue(PUSH_WORKER.name).deadLetters).toEqual([]);
  });

  it('a message with U+FFFF to a group above the threshold: its fan-out jobs are queued and every socket gets it', async () => {
    const members = await connectUsers(stack, 4, 'fan');
    const group = await makeGroup(
      alice,
      members.map((m) => m.userId),
      'Fan-out',
    );
    await stack.idle();
    const { sent } = queue(FANOUT_WORKER.name).stats;
    const message = await sendText(alice, group.chatId, 'hello \uFFFF and \uFFFE');
    await stack.idle();
    // 4 sockets, 2 to a job: queued, not posted in the request after a refusal.
    expect(queue(FANOUT_WORKER.name).stats.sent - sent).toBe(2);
    for (const member of members) {
      await eventually(() =>
        member.events('message.created').some((f) => (f.message as Message).messageId === message.messageId),
      );
      const got = member
        .events('message.created')
        .filter((f) => (f.message as Message).messageId === message.messageId);
      expect(got.map((f) => (f.message as Message).text)).toEqual(['hello \uFFFF and \uFFFE']);
    }
    expect(queue(FANOUT_WORKER.name).deadLetters).toEqual([]);
    await closeAll(stack, ...members);
  });

  it('a deleted chat whose partition holds a key with U+FFFF (a claim stored before ids refused it): every item expires', async () => {
    const { owner, member, chat } = await groupOfTwo(stack, 'Short-lived', 'keeper');
    await sendText(owner, chat.chatId, 'one', { clientMessageId: 'plain-1' });
    // The contract now refuses such a clientMessageId: its claim is written as an older server did.
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
    for (let i = 0; i < 3; i++) {
      await doc.send(
        new PutCommand({
          TableName: stack.tableName,
          Item: {
            pk: `CHAT#${chat.chatId}`,
            sk: `CMID#${owner.userId}#legacy\uFFFF${i}`,
            seq: 1,
            messageId: 'm-old',
          },
        }),
      );
    }
    doc.destroy();
    const { sent } = queue(RETENTION_WORKER.name).stats;
    await owner.ok('deleteChat', { chatId: chat.chatId });
    await stack.idle({ timers: true });
    const left = await stack.items(`CHAT#${chat.chatId}`);
    expect(left.filter((i) => String(i.sk).includes('\uFFFF'))).toHaveLength(3);
    expect(left.filter((i) => typeof i.ttl !== 'number').map((i) => String(i.sk))).toEqual([]);
    // One job a key: the continuations from (and after) the three keys with U+FFFF were queued.
    expect(queue(RETENTION_WORKER.name).stats.sent - sent).toBeGreaterThanOrEqual(left.length);
    expect(queue(RETENTION_WORKER.name).deadLetters).toEqual([]);
    await closeAll(stack, owner, member);
  });
});
