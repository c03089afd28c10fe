/**
 * Push jobs end to end (lambdas/push/jobs.ts, the push worker of lib/workers.ts): with a job size of
 * 1, every recipient of a group message who needs a lookup is planned by the push worker from the
 * local SQS stand-in, as a group of thousands is on AWS. What a recipient gets is what the push
 * function would have sent: one notification per device, the group's name, a badge counting their
 * other chats too; an unregistered token removes its device; a message deleted before the jobs run
 * is not pushed; an online member gets nothing. A notification the worker has no time left to retry
 * (a provider asking it to come back later) goes back to the queue alone and is sent once. A job
 * whose reads fail (throttling) is received again after a short backoff (lambdas/queue/retry-later.ts),
 * not after the queue's visibility timeout (6 minutes on AWS, as here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricTotals } from '../../lambdas/pipeline/metrics.ts';
import { retryBackoffSeconds } from '../../lambdas/queue/retry-later.ts';
import { currentFunction } from '../../lambdas/shared/logger.ts';
import { PUSH_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { closeAll, connectUser, makeDirect, makeGroup, sendText } from '../support/chat.ts';
import { interceptHandlerClient } from '../support/handler-client.ts';
import {
  contentOf,
  expectNoPushes,
  offlineUser,
  pipelineSettled,
  pushesTo,
  register,
  storedDevices,
  uniqueToken,
  useAlice,
  usePushStack,
  waitForPushes,
} from '../support/push.ts';
import { uniqueId } from '../support/stack.ts';

// The push function's and the worker's invocations last 40 s here (60 on AWS), so that a provider
// asking twice to come back in 9 s leaves no time for a third attempt (lambdas/push/budget.ts: 5 s
// kept, 21 s an attempt).
// The push queue's visibility timeout is the deployed one (6 × the worker's 60 s, lib/queue-worker.ts);
// the worker's shorter visibility of a failed record (its backoff, 10 s) lasts a tenth as long here
// (`BACKOFF_SECOND_MS`): still 36 times shorter than that timeout, as 10 s are than 6 minutes.
const BACKOFF_SECOND_MS = 100;
const stack = usePushStack({
  env: { PUSH_JOB_SIZE: '1' },
  timeoutSeconds: { [PUSH_WORKER.name]: 40, Push: 40 },
  visibilityTimeoutSeconds: { [PUSH_WORKER.name]: 6 * PUSH_WORKER.timeoutSeconds },
  visibilityChangeSecondMs: { [PUSH_WORKER.name]: BACKOFF_SECOND_MS },
});
const alice = useAlice(stack);
const pushQueue = () => stack.queues.get(PUSH_WORKER.name) as LocalQueue;

/** The push worker's next device lookup of this user fails (throttled), once; when it did. */
let throttle: { userId: string; at?: number } | undefined;
let handlers: ReturnType<typeof interceptHandlerClient> | undefined;
beforeAll(() => {
  handlers = interceptHandlerClient(stack.dynamoEndpoint, (command, input) => {
    if (!throttle || throttle.at !== undefined || command !== 'QueryCommand') return;
    if (currentFunction() !== PUSH_WORKER.name || !input.includes(`USER#${throttle.userId}`)) return;
    throttle.at = Date.now();
    throw Object.assign(new Error('Throughput exceeds the current capacity'), {
      name: 'ThrottlingException',
    });
  });
});
afterAll(() => handlers?.restore());

describe('a group message planned by the push worker', { timeout: 60_000 }, () => {
  it('notifies each offline member once per device, with the group’s name and their whole badge', async () => {
    const bobToken = uniqueToken('bob');
    const bob = await offlineUser(stack, [{ platform: 'apns', token: bobToken }]);
    const carolTokens = [uniqueToken('carol-apns'), uniqueToken('carol-fcm')];
    const carol = await offlineUser(stack, [
      { platform: 'apns', token: carolTokens[0] as string },
      { platform: 'fcm', token: carolTokens[1] as string },
    ]);
    const dave = await connectUser(stack, uniqueId('dave'));
    const daveToken = uniqueToken('dave');
    await register(dave, [{ platform: 'apns', token: daveToken }]);
    // Bob has an unread message in a direct chat with Alice: his badge counts it.
    const direct = await makeDirect(alice, bob.userId);
    await sendText(alice, direct.chatId, 'psst');
    await waitForPushes(stack, bobToken, 1);

    const group = await makeGroup(alice, [bob.userId, carol.userId, dave.userId], 'Big plans');
    const jobs = pushQueue().stats.sent;
    const sent = await sendText(alice, group.chatId, 'Hello, all');
    for (const token of carolTokens) await waitForPushes(stack, token, 1);
    await waitForPushes(stack, bobToken, 2);
    await pipelineSettled(stack);

    // Dave is online (the group's roster lists him): Bob and Carol needed a lookup, a job each.
    expect(pushQueue().stats.sent - jobs).toBe(2);
    const bobs = pushesTo(stack, bobToken).map(contentOf);
    expect(bobs).toHaveLength(2); // the direct message's, then the group's: one each
    expect(bobs[1]).toMatchObject({
      messageId: sent.messageId,
      title: 'Big plans',
      body: 'Hello, all',
      badge: 2,
    });
    for (const token of carolTokens) {
      expect(pushesTo(stack, token).map(contentOf)).toEqual([
        expect.objectContaining({ messageId: sent.messageId, title: 'Big plans', badge: 1 }),
      ]);
    }
    expectNoPushes(stack, daveToken);
    await closeAll(stack, dave);
  });

  it('removes a device whose token is no longer registered, and pushes nothing for a deleted message', async () => {
    const bad = uniqueToken('invalid-apns');
    const good = uniqueToken('good');
    const gina = await offlineUser(stack, [
      { platform: 'apns', token: bad },
      { platform: 'fcm', token: good },
    ]);
    const halToken = uniqueToken('hal');
    const hal = await offlineUser(stack, [{ platform: 'apns', token: halToken }]);
    const group = await makeGroup(alice, [gina.userId, hal.userId], 'Tokens');
    await sendText(alice, group.chatId, 'first');
    await waitForPushes(stack, good, 1);
    await pipelineSettled(stack);
    expect(pushesTo(stack, bad).map((r) => r.status)).toEqual([410]);
    expect(await storedDevices(stack, gina.userId)).toEqual({
      tokens: [good],
      ids: [gina.devices[1]?.deviceId],
      count: 1,
    });

    expect(pushesTo(stack, halToken)).toHaveLength(1);

    // The jobs run after the message is gone: each reads it again and sends nothing.
    const jobs = pushQueue().stats.sent;
    const skipped = metricTotals().PushSkippedGone ?? 0;
    stack.pipeline.streams.pause();
    const gone = await sendText(alice, group.chatId, 'oops');
    await alice.ok('deleteMessage', { chatId: group.chatId, messageId: gone.messageId });
    stack.pipeline.streams.resume();
    await pipelineSettled(stack);
    expect(pushQueue().stats.sent - jobs).toBe(2);
    expect((metricTotals().PushSkippedGone ?? 0) - skipped).toBe(2);
    expect(pushesTo(stack, good)).toHaveLength(1);
    expect(pushesTo(stack, halToken)).toHaveLength(1);
  });

  it('defers what neither the worker nor the push function has time left to retry, sent once', async () => {
    const joToken = uniqueToken('jo-fcm');
    const jo = await offlineUser(stack, [{ platform: 'fcm', token: joToken }]);
    const kimToken = uniqueToken('kim');
    const kim = await offlineUser(stack, [{ platform: 'apns', token: kimToken }]);
    const louToken = uniqueToken('lou-fcm');
    const lou = await offlineUser(stack, [{ platform: 'fcm', token: louToken }]);
    const group = await makeGroup(alice, [jo.userId, kim.userId], 'Slow provider');
    // A direct chat's one recipient is not more than a job (size 1 here): the push function sends.
    const direct = await makeDirect(alice, lou.userId);
    const jobs = pushQueue().stats.sent;
    const deferred = metricTotals().PushDeferred ?? 0;
    // FCM asks each of the two notifications twice to come back in 9 s (their attempts come 9 s
    // apart): each invocation waits once, then has no time for the second wait and its attempt, and
    // queues its notification, delayed by the 9 s asked.
    stack.pipeline.push.injectFault({ platform: 'fcm', status: 429, count: 4, retryAfterSeconds: 9 });
    const toGroup = await sendText(alice, group.chatId, 'eventually');
    const toLou = await sendText(alice, direct.chatId, 'later');
    const joRecords = await waitForPushes(stack, joToken, 3, 40_000);
    const louRecords = await waitForPushes(stack, louToken, 3, 40_000);
    await pipelineSettled(stack);

    // Read again once everything settled: a notification sent twice later would show here.
    expect(pushesTo(stack, joToken)).toEqual(joRecords);
    expect(pushesTo(stack, louToken)).toEqual(louRecords);
    for (const records of [joRecords, louRecords]) {
      expect(records.map((r) => r.status)).toEqual([429, 429, 200]);
      const [, second, third] = records.map((r) => Date.parse(r.sentAt));
      expect((third ?? 0) - (second ?? 0)).toBeGreaterThanOrEqual(8_900);
    }
    expect(contentOf(joRecords[2] as (typeof joRecords)[number])).toMatchObject({
      messageId: toGroup.messageId,
      title: 'Slow provider',
      body: 'eventually',
      badge: 1,
    });
    expect(contentOf(louRecords[2] as (typeof louRecords)[number])).toMatchObject({
      messageId: toLou.messageId,
      body: 'later',
    });
    // A job per group recipient (the worker), one deferred job from the worker (Jo's) and one from
    // the push function (Lou's); Kim's went once.
    expect(pushQueue().stats.sent - jobs).toBe(4);
    expect((metricTotals().PushDeferred ?? 0) - deferred).toBe(2);
    expect(pushesTo(stack, kimToken)).toHaveLength(1);
  }, 60_000);

  it('receives a job whose reads fail again after a short backoff, not the queue’s visibility timeout', async () => {
    const moToken = uniqueToken('mo');
    const mo = await offlineUser(stack, [{ platform: 'apns', token: moToken }]);
    const nedToken = uniqueToken('ned');
    const ned = await offlineUser(stack, [{ platform: 'apns', token: nedToken }]);
    const group = await makeGroup(alice, [mo.userId, ned.userId], 'Throttled');
    const failed = pushQueue().stats.failedRecords;
    throttle = { userId: mo.userId };
    const sent = await sendText(alice, group.chatId, 'worth the wait');
    // Without the backoff the job would wait the 6 minutes of the queue's visibility timeout.
    const [push] = await waitForPushes(stack, moToken, 1, 30_000);
    await pipelineSettled(stack);
    const failedAt = throttle.at ?? Number.NaN;
    throttle = undefined;
    expect(pushQueue().stats.failedRecords - failed).toBe(1);
    expect(contentOf(push as NonNullable<typeof push>)).toMatchObject({ messageId: sent.messageId });
    expect(pushesTo(stack, moToken)).toHaveLength(1);
    expect(pushesTo(stack, nedToken)).toHaveLength(1);
    // The first receive's backoff (10 s, scaled: `BACKOFF_SECOND_MS`), give or take a timer's millisecond.
    expect(Date.parse(push?.sentAt ?? '') - failedAt).toBeGreaterThanOrEqual(
      retryBackoffSeconds(1) * BACKOFF_SECOND_MS - 50,
    );
  }, 60_000);
});
