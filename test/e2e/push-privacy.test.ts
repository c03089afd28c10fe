/**
 * The privacy option (`pushIdOnly`, `npm run dev -- --push-id-only`, `-c pushIdOnly=true` on AWS):
 * notifications carry ids and the badge only. No message text and no names reach Apple or Google;
 * the app fetches the content when woken (APNs `mutable-content`, an FCM data message on Android;
 * through FCM to iOS the same alert as APNs gets, so that the service extension runs there too).
 */
import { describe, expect, it } from 'vitest';
import { ID_ONLY_TITLE } from '../../lambdas/push/payload.ts';
import { makeGroup, sendText } from '../support/chat.ts';
import { offlineUser, twoDevices, useAlice, usePushStack, waitForPushes } from '../support/push.ts';

const stack = usePushStack({ pushIdOnly: true });
const alice = useAlice(stack, 'Alice Secret');

describe('id-only pushes', () => {
  it('carry ids and the badge, never text or names', async () => {
    const bob = await offlineUser(stack, twoDevices());
    const chat = await makeGroup(alice, [bob.userId], 'Secret project');
    const message = await sendText(alice, chat.chatId, 'the launch code is 1234');
    const [apns, fcm] = bob.devices;
    const [apnsPush] = await waitForPushes(stack, apns?.token ?? '');
    const [fcmPush] = await waitForPushes(stack, fcm?.token ?? '');
    const ids = { chatId: chat.chatId, messageId: message.messageId, seq: 1, senderId: alice.userId };

    const aps = {
      alert: { title: ID_ONLY_TITLE },
      'mutable-content': 1,
      badge: 1,
      sound: 'default',
      'thread-id': chat.chatId,
    };
    expect(apnsPush?.status).toBe(200);
    expect(apnsPush?.payload).toEqual({ aps, ...ids });
    expect(fcmPush?.status).toBe(200);
    expect(fcmPush?.payload).toEqual({
      message: {
        token: fcm?.token,
        data: { ...ids, seq: '1', badge: '1' },
        android: { priority: 'high', collapse_key: chat.chatId },
        // Not a background push (throttled, never shown, no service extension): the alert above.
        apns: { headers: { 'apns-push-type': 'alert', 'apns-priority': '10' }, payload: { aps } },
      },
    });
    for (const push of [apnsPush, fcmPush]) {
      const text = JSON.stringify(push?.payload);
      for (const secret of ['launch code', 'Secret project', 'Alice Secret'])
        expect(text).not.toContain(secret);
    }
  });
});
