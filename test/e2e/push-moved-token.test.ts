/**
 * A push token that changed hands is never pushed its previous user's message, even when the push
 * pipeline's eventually consistent lookup of that user's devices (`devices.pushTargets`) comes from a
 * replica that has not applied the change yet: Ann signs out on her phone, Ben signs in on it and
 * registers the same APNs token (which moves it to him, or finds it free when Ann's app unregistered
 * it), and a message to Ann is processed within the replica's lag. The planner reads Ann's devices
 * again, consistently, before anything is sent (lambdas/push/plan.ts `devicesNow`).
 *
 * DynamoDB Local always answers with the latest, so the lag is made deterministic by a lagging
 * replica (test/support/lagging-replica.ts) under the handlers' own DynamoDB client: Ann's
 * partition as it was before the change answers the eventually consistent reads. Real sockets, the
 * stream poller, the push function and the APNs stand-in, which records every notification. Ann
 * keeps a second device (her tablet): the message reaches it, the anchor of "not to the phone".
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lightDynamo } from '../../lambdas/data/light-dynamo.ts';
import { setStore, store } from '../../lambdas/data/store.ts';
import { setDeps } from '../../lambdas/domain/deps.ts';
import { Counters, metricTotals } from '../../lambdas/pipeline/metrics.ts';
import { planDeferred } from '../../lambdas/push/plan.ts';
import { setClients } from '../../lambdas/shared/clients.ts';
import { closeAll, connectUser, makeDirect, sendText } from '../support/chat.ts';
import { LaggingReplica } from '../support/lagging-replica.ts';
import {
  contentOf,
  expectNoPushes,
  offlineUser,
  pipelineSettled,
  register,
  storedDevices,
  uniqueToken,
  useAlice,
  usePushStack,
  waitForPushes,
} from '../support/push.ts';
import { uniqueId } from '../support/stack.ts';

const stack = usePushStack();
const alice = useAlice(stack);
let replica: LaggingReplica;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  replica = await LaggingReplica.start(stack);
  // The handlers' own transport (as lambdas/shared/clients.ts builds it), on the lagging replica.
  doc = replica.lag(
    lightDynamo(
      DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint, maxAttempts: 3 }), {
        marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
      }),
    ),
  );
  setClients({ documentClient: doc });
  setStore(undefined);
  setDeps(undefined);
});
afterAll(async () => {
  setClients({ documentClient: undefined });
  setStore(undefined);
  setDeps(undefined);
  doc?.destroy();
  await replica?.stop();
});

type Handover = 'moves it' | 'finds it free after Ann unregistered it';

/**
 * Ann (offline) with a phone and a tablet, her partition frozen; then her phone's token changes
 * hands to Ben as `how` says. The lagging lookup still lists the phone with that token.
 */
async function handedOver(how: Handover) {
  const phone = uniqueToken('phone');
  const tablet = uniqueToken('tablet');
  const ann = await offlineUser(stack, [
    { platform: 'apns', token: phone },
    { platform: 'apns', token: tablet },
  ]);
  const chat = await makeDirect(alice, ann.userId);
  await replica.freeze(`USER#${ann.userId}`);
  if (how !== 'moves it') {
    const again = await connectUser(stack, ann.userId);
    await again.ok('unregisterDevice', { deviceId: ann.devices[0]?.deviceId });
    await closeAll(stack, again);
  }
  const ben = await connectUser(stack, uniqueId('ben'));
  await register(ben, [{ platform: 'apns', token: phone }]);
  expect((await storedDevices(stack, ann.userId)).tokens).toEqual([tablet]);
  const lagging = await store().devices.pushTargets(ann.userId);
  expect(lagging.devices.map((d) => d.token).sort()).toEqual([phone, tablet].sort());
  return { ann, ben, chat, phone, tablet };
}

describe('a token that changed hands within the replica lag', { timeout: 60_000 }, () => {
  it.each<Handover>(['moves it', 'finds it free after Ann unregistered it'])(
    "gets none of the previous user's messages: Ben %s",
    async (how) => {
      const { ben, chat, phone, tablet } = await handedOver(how);
      const skippedBefore = metricTotals().PushStaleDeviceSkipped ?? 0;

      const secret = await sendText(alice, chat.chatId, `for Ann's eyes only (${how})`);
      const [toTablet] = await waitForPushes(stack, tablet);
      await pipelineSettled(stack);
      expect(contentOf(toTablet as NonNullable<typeof toTablet>)).toMatchObject({
        messageId: secret.messageId,
        body: secret.text,
      });
      expectNoPushes(stack, phone);
      expect((metricTotals().PushStaleDeviceSkipped ?? 0) - skippedBefore).toBe(1);
      await ben.close();
    },
  );

  it('is not sent a deferred notification of the previous user either (the push worker)', async () => {
    const { ann, ben, chat, phone, tablet } = await handedOver('moves it');
    const secret = await sendText(alice, chat.chatId, 'deferred, and still for Ann only');
    await waitForPushes(stack, tablet);
    await pipelineSettled(stack);
    const [phoneDevice, tabletDevice] = ann.devices;
    const sends = [phoneDevice, tabletDevice].map((d) => ({
      userId: ann.userId,
      deviceId: d?.deviceId ?? '',
      badge: 1,
      tried: 1,
    }));
    const { messageId, seq } = secret;
    const message = { chatId: chat.chatId, messageId, seq, senderId: alice.userId, title: undefined };
    const counters = new Counters('test');
    const planned = await planDeferred({ store: store(), now: () => new Date() }, message, sends, counters);
    expect(planned.map((p) => p.device.token)).toEqual([tablet]);
    expect(counters.get('PushDeferredSkipped')).toBe(1);
    expect(counters.get('PushStaleDeviceSkipped')).toBe(1);
    expectNoPushes(stack, phone);
    await ben.close();
  });
});
