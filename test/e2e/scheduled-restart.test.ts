/**
 * Durability: `npm run dev --persist` is stopped between scheduling and sendAt and started again on
 * the same data; the message still goes out, once, not before its time. (The local due queue is in
 * memory: the sweep at start-up puts back what is due, as a per-minute sweep would on AWS after a
 * lost queue message.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import type { Chat, Message, Scheduled } from '../../lambdas/contract/objects.ts';
import { devToken } from '../../local/token.ts';
import { eventually, type Frame, TestClient } from '../support/client.ts';
import { cleanEnv, DevProcess } from '../support/dev-process.ts';

/** From scheduling to `sendAt`: the stop and the second start fit in it (below). */
const SEND_AFTER_MS = 15_000;

const dataDir = mkdtempSync(join(tmpdir(), 'chat-scheduled-persist-'));
const started: DevProcess[] = [];
afterAll(async () => {
  for (const dev of started) await dev.stop('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

/** PORT=0: each start's gateway takes a free port as it binds (one picked here could be taken first). */
async function startDev() {
  const dev = new DevProcess(['--persist', dataDir, '--no-seed'], cleanEnv({ PORT: '0' }));
  started.push(dev);
  return { dev, ready: await dev.ready() };
}

const connect = async (wsUrl: string, userId: string) =>
  TestClient.connect(`${wsUrl}/?token=${await devToken(userId, { name: userId })}`);

describe('scheduled messages across a restart of npm run dev --persist', () => {
  it('go out once, at their time, after the stack was stopped and started again in between', async () => {
    const first = await startDev();
    const alice = await connect(first.ready.wsUrl, 'alice');
    const chat = (await alice.ok('createChat', { kind: 'group', name: 'restart', memberIds: ['bob'] }))
      .chat as Chat;
    // Due after the second start, so that its start-up sweep puts it back on a timer: stopping took
    // about 1 s and starting again 5 to 8 s at a load of 10, 12 s at 12 (25 s here left 17 s of
    // waiting). Were it due before that, the sweep would put it back at once, and it still must go
    // out once, not before `sendAt`.
    const sendAt = new Date(Date.now() + SEND_AFTER_MS).toISOString();
    const scheduled = (await alice.ok('scheduleMessage', { chatId: chat.chatId, text: 'survived', sendAt }))
      .scheduled as Scheduled;
    await alice.close();
    expect(await first.dev.stop('SIGTERM')).toMatchObject({ code: 0 });
    expect(Date.now()).toBeLessThan(Date.parse(sendAt));

    const second = await startDev();
    const bob = await connect(second.ready.wsUrl, 'bob');
    // It went out if history has it: asked at most once a second (history counts against its rate
    // limit by what it reads: polling it every 20 ms was refused RATE_LIMITED once), or as soon as
    // its message.created reaches Bob (it may have gone out before Bob connected: then history has it).
    let messages: Message[] = [];
    const deadline = Date.now() + 90_000;
    for (;;) {
      messages = (await bob.ok('history', { chatId: chat.chatId })).messages as Message[];
      if (messages.length > 0) break;
      if (Date.now() > deadline) throw new Error('the scheduled message did not go out in 90 s');
      const inChat = (f: Frame) => (f.message as Message | undefined)?.chatId === chat.chatId;
      await bob.event('message.created', inChat, 1_000).catch(() => undefined);
    }
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ text: 'survived', senderId: 'alice' });
    expect(Date.parse(messages[0]?.createdAt ?? '')).toBeGreaterThanOrEqual(Date.parse(sendAt));

    // Nothing more comes: a sweep after it went out finds nothing due.
    const db = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: second.ready.dynamoEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    );
    try {
      // Where it waits, else what is kept of it finished.
      const at = async (sk: string) =>
        (
          await db.send(
            new QueryCommand({
              TableName: 'chat',
              KeyConditionExpression: 'pk = :pk AND sk = :sk',
              ExpressionAttributeValues: { ':pk': 'USER#alice', ':sk': sk },
              ConsistentRead: true,
            }),
          )
        ).Items?.[0];
      const item = async () =>
        (await at(`SCHED#${scheduled.scheduledId}`)) ?? (await at(`SCHEDDONE#${scheduled.scheduledId}`));
      // The dispatcher records the outcome after the send (stored, then fanned out) returned: history
      // can show the message a moment before the item says `sent`.
      let stored: Record<string, unknown> | undefined;
      await eventually(async () => {
        stored = await item();
        return stored?.status !== 'sending';
      }, 30_000);
      expect(stored).toMatchObject({
        status: 'sent',
        messageId: messages[0]?.messageId,
        attempts: 1,
      });
      expect(stored?.gsi2pk).toBeUndefined();
    } finally {
      db.destroy();
    }
    const again = (await bob.ok('history', { chatId: chat.chatId })).messages as Message[];
    expect(again).toEqual(messages);
    await bob.close();
    expect(await second.dev.stop('SIGTERM')).toMatchObject({ code: 0 });
  }, 300_000);
});
