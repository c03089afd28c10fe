/**
 * A group of 200 where half the members are offline with a device each: one message gives exactly
 * one push to each offline member's device, none to the 99 online members, within a few seconds
 * (the time is printed; the bound here, 30 s, is generous for a busy machine: `npm run bench`
 * measures the pipeline's throughput).
 *
 * The fan-out queue's threshold is set below the group's open sockets, so the message's events go
 * through the fan-out queue and its worker (as a large group's do on AWS): pushes come from the
 * table's stream (the message item), whatever path the events took. The push jobs' size is set
 * below the 100 offline members too, so the push function hands them to the push worker in 4 jobs
 * (as a group of thousands on AWS): each still gets one notification, with the group's name and
 * its one unread message as the badge.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatStore } from '../../lambdas/data/store.ts';
import { newDevice } from '../../lambdas/domain/devices.ts';
import { FANOUT_WORKER, PUSH_WORKER } from '../../lib/workers.ts';
import type { PushRecord } from '../../local/push/providers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import {
  aboutMessage,
  type Chat,
  connectUsers,
  eventsOf,
  type Message,
  type UserSocket,
} from '../support/chat.ts';
import { eventually } from '../support/client.ts';
import {
  contentOf,
  type PushStack,
  pipelineSettled,
  pushesTo,
  startPushStack,
  uniqueToken,
} from '../support/push.ts';
import { uniqueId } from '../support/stack.ts';

let stack: PushStack;
let online: UserSocket[];
let doc: DynamoDBDocumentClient;
const fanOutQueue = () => stack.queues.get(FANOUT_WORKER.name) as LocalQueue;
const pushQueue = () => stack.queues.get(PUSH_WORKER.name) as LocalQueue;

beforeAll(async () => {
  // 99 sockets to post to: above this threshold, the fan-out goes through the queue.
  stack = await startPushStack({ env: { FANOUT_QUEUE_THRESHOLD: '50', PUSH_JOB_SIZE: '30' } });
  online = await connectUsers(stack, 100, 'on');
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
}, 180_000);

afterAll(async () => {
  await Promise.all((online ?? []).map((s) => s.close()));
  doc?.destroy();
  await stack?.stop();
}, 60_000);

describe('a group of 200, half of it offline', () => {
  it('pushes once to every offline member’s device and to nobody online, within seconds', {
    timeout: 120_000,
  }, async () => {
    const [sender, ...others] = online as [UserSocket, ...UserSocket[]];
    // Devices are written through the data layer (registration has its own tests), 20 at a time.
    const store = new ChatStore(doc, stack.tableName);
    const offline = Array.from({ length: 100 }, (_, i) => ({
      userId: uniqueId(`off${i}`),
      token: uniqueToken(i % 2 ? 'apns' : 'fcm'),
      platform: i % 2 ? ('apns' as const) : ('fcm' as const),
    }));
    const onlineDevices = others.map((s) => ({
      userId: s.userId,
      token: uniqueToken('online'),
      platform: 'apns' as const,
    }));
    const all = [...offline, ...onlineDevices];
    for (let i = 0; i < all.length; i += 20) {
      await Promise.all(
        all.slice(i, i + 20).map(async (u) => {
          const device = newDevice(u.userId, u, new Date());
          expect(await store.devices.register({ device, count: 0 })).toBe('registered');
        }),
      );
    }
    const onlineTokens = onlineDevices.map((d) => d.token);
    // A 200-member createChat fans out to 100 sockets: allow a busy machine more than the usual 10 s.
    const created = await sender.request(
      'createChat',
      {
        kind: 'group',
        name: 'Two hundred',
        memberIds: [...others.map((s) => s.userId), ...offline.map((u) => u.userId)],
      },
      60_000,
    );
    const chat = created.chat as Chat;
    expect(chat.members).toHaveLength(200);

    const queued = fanOutQueue().stats.sent;
    const pushJobs = pushQueue().stats.sent;
    const started = performance.now();
    const sent = await sender.request(
      'sendMessage',
      { chatId: chat.chatId, text: 'Hello, everyone' },
      60_000,
    );
    const message = sent.message as Message;
    await eventually(() => offline.every((u) => pushesTo(stack, u.token).length > 0), 30_000).catch(() => {
      const got = offline.filter((u) => pushesTo(stack, u.token).length > 0).length;
      throw new Error(`${got} of 100 offline members got a push within 30 s`);
    });
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`group of 200: 100 pushes ${seconds.toFixed(2)} s after the send\n`);

    await pipelineSettled(stack);
    for (const u of offline) {
      const records = pushesTo(stack, u.token);
      expect(
        records.map((r) => [r.platform, r.status]),
        u.userId,
      ).toEqual([[u.platform, 200]]);
      expect(contentOf(records[0] as PushRecord)).toMatchObject({
        messageId: message.messageId,
        title: 'Two hundred',
        badge: 1,
      });
    }
    // 100 recipients to look up, 30 a job: the push worker planned them.
    expect(pushQueue().stats.sent - pushJobs).toBe(4);
    for (const token of onlineTokens) expect(pushesTo(stack, token)).toEqual([]);
    // The events went through the fan-out queue, and every online member got the message once.
    await stack.idle();
    expect(fanOutQueue().stats.sent).toBeGreaterThan(queued);
    await Promise.all(others.map((s) => s.request('ping')));
    for (const socket of others) {
      const got = eventsOf(socket, 'message.created', aboutMessage(message.messageId));
      expect(got, socket.userId).toHaveLength(1);
    }
    expect(
      stack.pipeline.push.notifications.filter((n) => JSON.stringify(n.payload).includes(message.messageId)),
    ).toHaveLength(100);
  });
});
