/**
 * A schedule's id derives from its clientMessageId, and a finished schedule expires
 * (`SCHEDULED_KEEP_SECONDS`, 7 days) while the message it became keeps its clientMessageId for good.
 * A client that uses the same clientMessageId for a later schedule must get that one sent too: its
 * send carries its own clientMessageId (`sched_<scheduledId>.<sendAt>`), not taken for a repeat of the
 * first one. A schedule stored before the send's id was recorded still goes out with
 * `sched_<scheduledId>`, what its uploads were claimed for. Over real sockets, DynamoDB Local, the
 * local S3 stand-in and the local due queue and sweep.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectUsers, history, type Message, makeGroup, type UserSocket } from '../support/chat.ts';
import { FILES, uploadFile } from '../support/media.ts';
import {
  aboutScheduled,
  inMs,
  type Scheduled,
  schedule,
  storedItem,
  withText,
} from '../support/scheduled.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack();
let doc: DynamoDBDocumentClient;

beforeAll(() => {
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
});
afterAll(() => doc?.destroy());

/** The `scheduled.sent` of this schedule (by id and text: the reused id names two). */
const sent = async (socket: UserSocket, scheduled: Scheduled) =>
  (
    await socket.event(
      'scheduled.sent',
      (f) => aboutScheduled(scheduled.scheduledId)(f) && (f.scheduled as Scheduled).text === scheduled.text,
      15_000,
    )
  ).scheduled as Scheduled;

describe('a clientMessageId used again for a schedule after the first one expired', () => {
  it('schedules and sends the new message (the first one’s message is not taken for it)', async () => {
    const [alice, bob] = (await connectUsers(stack, 2, 'reuse')) as [UserSocket, UserSocket];
    const { chatId } = await makeGroup(alice, [bob.userId]);

    const first = await schedule(alice, chatId, 'first', inMs(1500), { clientMessageId: 'k-reused' });
    const firstSent = await sent(alice, first);
    const firstMessage = (await bob.event('message.created', withText('first'), 15_000)).message as Message;
    expect(firstSent.messageId).toBe(firstMessage.messageId);

    // What the TTL does 7 days after it went out (to what is kept of it finished).
    await doc.send(
      new DeleteCommand({
        TableName: stack.tableName,
        Key: { pk: `USER#${alice.userId}`, sk: `SCHEDDONE#${first.scheduledId}` },
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );

    const second = await schedule(alice, chatId, 'second', inMs(1500), { clientMessageId: 'k-reused' });
    expect(second).toMatchObject({ scheduledId: first.scheduledId, text: 'second', status: 'pending' });
    const secondMessage = (await bob.event('message.created', withText('second'), 15_000)).message as Message;
    expect((await sent(alice, second)).messageId).toBe(secondMessage.messageId);
    expect(secondMessage.messageId).not.toBe(firstMessage.messageId);
    expect((await history(bob, chatId)).messages.map((m) => m.text)).toEqual(['first', 'second']);
  });
});

describe('a schedule stored before its send’s clientMessageId was recorded', () => {
  it('goes out with sched_<scheduledId>, carrying the upload claimed for that send', async () => {
    const [alice, bob] = (await connectUsers(stack, 2, 'legacy')) as [UserSocket, UserSocket];
    const { chatId } = await makeGroup(alice, [bob.userId]);
    const uploadId = await uploadFile(alice, chatId, FILES.png(), 'image/png');
    const scheduled = await schedule(alice, chatId, 'from before', inMs(2500), {
      attachments: [{ uploadId }],
    });
    const legacy = `sched_${scheduled.scheduledId}`;
    // As such a schedule was stored: no recorded send id, its upload claimed for `sched_<id>`.
    await doc.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: { pk: `USER#${alice.userId}`, sk: `SCHED#${scheduled.scheduledId}` },
        UpdateExpression: 'REMOVE sendClientMessageId',
      }),
    );
    await doc.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: { pk: `CHAT#${chatId}`, sk: `UPLOAD#${uploadId}` },
        UpdateExpression: 'SET usedBy = :by',
        ExpressionAttributeValues: { ':by': `cmid:${legacy}` },
      }),
    );
    expect(await storedItem(stack, alice.userId, scheduled.scheduledId)).not.toHaveProperty(
      'sendClientMessageId',
    );

    const message = (await bob.event('message.created', withText('from before'), 15_000)).message as Message;
    expect(message).toMatchObject({ clientMessageId: legacy });
    expect(message.attachments.map((a) => a.attachmentId)).toEqual([uploadId]);
    expect((await sent(alice, scheduled)).messageId).toBe(message.messageId);
  });
});
