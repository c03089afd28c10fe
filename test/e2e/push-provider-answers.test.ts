/**
 * Push notifications end to end, the providers' answers (push-delivery.test.ts has who gets a push,
 * muted chats and the badge): real sockets through the local gateway, DynamoDB Local's stream
 * read by the local poller, the push Lambda, and the APNs (HTTP/2) and FCM stand-ins that record
 * every request. Each "nobody got a push" assertion is anchored on a push that did arrive for the
 * same message (the pipeline decides for every member of a message at once), or on the poller
 * having drained the stream.
 */
import { describe, expect, it, vi } from 'vitest';
import { metricTotals } from '../../lambdas/pipeline/metrics.ts';
import { logger } from '../../lambdas/shared/logger.ts';
import { type MetricValues, onMetrics } from '../../lambdas/shared/metrics.ts';
import { makeDirect, sendText } from '../support/chat.ts';
import {
  offlineUser,
  pipelineSettled,
  pushesTo,
  storedDevices,
  twoDevices,
  uniqueToken,
  useAlice,
  usePushStack,
  waitForPushes,
} from '../support/push.ts';

const stack = usePushStack();
const alice = useAlice(stack);

describe('provider answers', { timeout: 60_000 }, () => {
  it('removes a device after the first rejection of its token (APNs 410; FCM 404, 400 not a token, 403 another project)', async () => {
    const badApns = uniqueToken('invalid-apns');
    const badFcm = uniqueToken('invalid-fcm');
    const malformed = uniqueToken('malformed-fcm');
    const foreign = uniqueToken('other-project-fcm');
    const good = uniqueToken('good');
    // SENDER_ID_MISMATCH removes only once FCM accepted a send (push-foreign-token.test.ts): one first.
    const proof = await offlineUser(stack, [{ platform: 'fcm', token: uniqueToken('good-fcm') }]);
    await sendText(alice, (await makeDirect(alice, proof.userId)).chatId, 'proof');
    await waitForPushes(stack, proof.devices[0]?.token ?? '', 1);
    await pipelineSettled(stack);
    const gina = await offlineUser(stack, [
      { platform: 'apns', token: badApns },
      { platform: 'fcm', token: badFcm },
      { platform: 'fcm', token: malformed },
      { platform: 'fcm', token: foreign },
      { platform: 'apns', token: good },
    ]);
    const chat = await makeDirect(alice, gina.userId);
    await sendText(alice, chat.chatId, 'first');
    await waitForPushes(stack, good, 1);
    await pipelineSettled(stack);
    expect(pushesTo(stack, badApns).map((r) => [r.status, r.reason])).toEqual([[410, 'Unregistered']]);
    expect(pushesTo(stack, badFcm).map((r) => [r.status, r.reason])).toEqual([[404, 'UNREGISTERED']]);
    expect(pushesTo(stack, malformed).map((r) => [r.status, r.reason])).toEqual([[400, 'INVALID_ARGUMENT']]);
    expect(pushesTo(stack, foreign).map((r) => [r.status, r.reason])).toEqual([[403, 'SENDER_ID_MISMATCH']]);
    expect(await storedDevices(stack, gina.userId)).toEqual({
      tokens: [good],
      ids: [gina.devices[4]?.deviceId],
      count: 1,
    });
    await sendText(alice, chat.chatId, 'second');
    await waitForPushes(stack, good, 2);
    await pipelineSettled(stack);
    expect(pushesTo(stack, badApns)).toHaveLength(1);
    for (const token of [badFcm, malformed, foreign]) expect(pushesTo(stack, token)).toHaveLength(1);
  });

  it('retries 5xx and 429 with backoff until the provider takes the notification', async () => {
    const hugo = await offlineUser(stack, twoDevices());
    const [apns, fcm] = hugo.devices;
    const chat = await makeDirect(alice, hugo.userId);
    stack.pipeline.push.injectFault({ platform: 'apns', status: 503, count: 2 });
    stack.pipeline.push.injectFault({ platform: 'fcm', status: 429, count: 1, retryAfterSeconds: 1 });
    await sendText(alice, chat.chatId, 'eventually');
    const apnsRecords = await waitForPushes(stack, apns?.token ?? '', 3);
    const fcmRecords = await waitForPushes(stack, fcm?.token ?? '', 2);
    expect(apnsRecords.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(fcmRecords.map((r) => r.status)).toEqual([429, 200]);
    // FCM asked for one second: the retry waited at least that long.
    const [refused, accepted] = fcmRecords;
    expect(Date.parse(accepted?.sentAt ?? '') - Date.parse(refused?.sentAt ?? '')).toBeGreaterThanOrEqual(
      900,
    );
  });

  it('gives up after the last attempt and counts it', async () => {
    const ivan = await offlineUser(stack, [{ platform: 'apns', token: uniqueToken('ivan') }]);
    const token = ivan.devices[0]?.token ?? '';
    const chat = await makeDirect(alice, ivan.userId);
    const givenUpBefore = metricTotals().PushGivenUp ?? 0;
    const business: MetricValues[] = [];
    const stopListening = onMetrics((values) => business.push(values));
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => {});
    let errors: unknown[][] = [];
    stack.pipeline.push.injectFault({ platform: 'apns', status: 500, count: 100 });
    try {
      await sendText(alice, chat.chatId, 'this one will not make it');
      await waitForPushes(stack, token, 4);
      await pipelineSettled(stack);
    } finally {
      stack.pipeline.push.clearFaults();
      stopListening();
      errors = [...logged.mock.calls]; // mockRestore clears them
      logged.mockRestore();
    }
    expect(pushesTo(stack, token).map((r) => r.status)).toEqual([500, 500, 500, 500]);
    expect((metricTotals().PushGivenUp ?? 0) - givenUpBefore).toBe(1);
    // The stack's business metric (EMF on AWS, what the give-up alarm watches).
    expect(business.reduce((n, v) => n + (v.PushesGivenUp ?? 0), 0)).toBe(1);
    expect(errors).toContainEqual(['push given up', expect.objectContaining({ attempts: 4, status: 500 })]);
    // The device stays (a server error says nothing about the token) and the next message gets through.
    await sendText(alice, chat.chatId, 'and this one will');
    expect((await waitForPushes(stack, token, 5)).at(-1)?.status).toBe(200);
  });
});

describe('GET /_local/push', { timeout: 60_000 }, () => {
  it('lists every notification the stand-ins received, oldest first, refusals included', async () => {
    const response = await fetch(`${stack.managementEndpoint}/_local/push`);
    expect(response.status).toBe(200);
    const { notifications } = (await response.json()) as { notifications: Record<string, unknown>[] };
    expect(notifications.length).toBeGreaterThan(0);
    expect(notifications).toEqual(stack.pipeline.push.notifications);
    for (const n of notifications) {
      expect(n).toMatchObject({
        platform: expect.stringMatching(/^(apns|fcm)$/),
        token: expect.any(String),
        payload: expect.any(Object),
        status: expect.any(Number),
        sentAt: expect.stringMatching(/Z$/),
      });
    }
    const times = notifications.map((n) => Date.parse(String(n.sentAt)));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(notifications.some((n) => n.status !== 200)).toBe(true);
  });
});
