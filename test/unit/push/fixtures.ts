/** What the push unit tests share: a group message as stored (chat g1, seq 5, from alice). */

import type { Platform } from '../../../lambdas/contract/index.ts';
import type { PushTargets } from '../../../lambdas/data/devices.ts';
import type { DeviceRecord, MessageRecord } from '../../../lambdas/data/items.ts';
import { expiryFrom } from '../../../lambdas/domain/devices.ts';
import type { PushContent } from '../../../lambdas/push/payload.ts';
import type { PushMessage } from '../../../lambdas/push/plan.ts';
import { type fakeDeps, NOW } from '../domain/fakes.ts';

export const LUNCH_MESSAGE: MessageRecord = {
  chatId: 'g1',
  messageId: 'm5_abcdefghijkl',
  seq: 5,
  senderId: 'alice',
  text: 'Lunch at noon?',
  replyTo: null,
  clientMessageId: null,
  createdAt: NOW,
  editedAt: null,
  deleted: false,
  ver: 9,
  allocAt: Date.parse(NOW),
};

/** A notification's content, for the delivery tests. */
export const CONTENT: PushContent = {
  chatId: 'c',
  messageId: 'm',
  seq: 1,
  senderId: 'a',
  title: 't',
  body: 'b',
  badge: 1,
};

/** The message of a push job: LUNCH_MESSAGE's keys, in a group named Team. */
export const PUSH_MESSAGE: PushMessage = {
  chatId: LUNCH_MESSAGE.chatId,
  messageId: LUNCH_MESSAGE.messageId,
  seq: LUNCH_MESSAGE.seq,
  senderId: LUNCH_MESSAGE.senderId,
  title: 'Team',
};

/**
 * A device as stored: `d_<userId>` and `<userId>-token`, or with `n`, `d_<userId><n>` and
 * `<userId>-token-<n>` (a user's nth device).
 */
export const deviceRecord = (userId: string, platform: Platform = 'apns', n?: number): DeviceRecord => ({
  userId,
  deviceId: `d_${userId}${n ?? ''}`,
  platform,
  token: `${userId}-token${n === undefined ? '' : `-${n}`}`,
  appId: null,
  createdAt: NOW,
  refreshedAt: NOW,
  expiresAt: expiryFrom(new Date(NOW)),
});

/**
 * Each user's sockets and devices, as both of the planner's reads answer them: the lookup
 * (`pushTargets`) and the devices as stored now (`getState`, read again before sending).
 */
export function storeTargets(
  store: ReturnType<typeof fakeDeps>['store'],
  targets: (userId: string) => Omit<PushTargets, 'connectionIds'>,
): void {
  store.devices.pushTargets.mockImplementation(async (userId) => {
    const { online, devices } = targets(userId);
    return { online, connectionIds: online ? [`${userId}-socket`] : [], devices };
  });
  store.devices.getState.mockImplementation(async (userId) => {
    const { devices } = targets(userId);
    return { devices, count: devices.length };
  });
}
