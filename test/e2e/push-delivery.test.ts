/**
 * Push notifications end to end: real sockets through the local gateway, DynamoDB Local's stream
 * read by the local poller, the push Lambda, and the APNs (HTTP/2) and FCM stand-ins that record
 * every request. Each "nobody got a push" assertion is anchored on a push that did arrive for the
 * same message (the pipeline decides for every member of a message at once), or on the poller
 * having drained the stream. The providers' answers (rejections, retries, giving up) and the
 * stand-ins' listing: push-provider-answers.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { closeAll, connectUser, makeDirect, makeGroup, sendText } from '../support/chat.ts';
import { sleep } from '../support/client.ts';
import {
  contentOf,
  expectNoPushes,
  offlineUser,
  pipelineSettled,
  pushesTo,
  register,
  twoDevices,
  uniqueToken,
  useAlice,
  usePushStack,
  waitForPushes,
} from '../support/push.ts';
import { uniqueId } from '../support/stack.ts';

const stack = usePushStack();
const alice = useAlice(stack);

describe('who gets a push', { timeout: 60_000 }, () => {
  it('an offline member gets exactly one push per device per message; an online member none', async () => {
    const bob = await connectUser(stack, uniqueId('bob'));
    const [bobDevice] = await register(bob, [{ platform: 'apns', token: uniqueToken('bob') }]);
    const carol = await offlineUser(stack, twoDevices());
    const chat = await makeGroup(alice, [bob.userId, carol.userId], 'Weekend plans');
    const m1 = await sendText(alice, chat.chatId, 'First message');
    const m2 = await sendText(alice, chat.chatId, 'Second message');
    for (const device of carol.devices) await waitForPushes(stack, device.token, 2);
    await pipelineSettled(stack);

    for (const device of carol.devices) {
      const records = pushesTo(stack, device.token);
      expect(records.map((r) => [r.platform, r.status])).toEqual([
        [device.platform, 200],
        [device.platform, 200],
      ]);
      const contents = records.map(contentOf).sort((a, b) => Number(a.seq) - Number(b.seq));
      // The badge is the unread count when the push is planned: the second message's counts both;
      // the first's counts 1, or 2 when the second was stored before it was planned (the stream's
      // records are handled concurrently: docs/push.md, "Badge").
      expect([
        [1, 2],
        [2, 2],
      ]).toContainEqual(contents.map((c) => c.badge));
      expect(contents.map(({ badge: _, ...rest }) => rest)).toEqual([
        {
          chatId: chat.chatId,
          messageId: m1.messageId,
          seq: 1,
          senderId: alice.userId,
          title: 'Weekend plans',
          body: 'First message',
        },
        {
          chatId: chat.chatId,
          messageId: m2.messageId,
          seq: 2,
          senderId: alice.userId,
          title: 'Weekend plans',
          body: 'Second message',
        },
      ]);
    }
    expectNoPushes(stack, bobDevice?.token ?? '');
    await bob.close();
  });

  it('groups per chat: APNs thread-id, FCM tag and collapse key are the chat id', async () => {
    const dan = await offlineUser(stack, twoDevices());
    const chat = await makeDirect(alice, dan.userId);
    await sendText(alice, chat.chatId, 'Hi Dan');
    const [apns, fcm] = dan.devices;
    const [apnsPush] = await waitForPushes(stack, apns?.token ?? '');
    const [fcmPush] = await waitForPushes(stack, fcm?.token ?? '');
    expect(apnsPush?.payload).toMatchObject({ aps: { 'thread-id': chat.chatId, sound: 'default' } });
    expect(apnsPush?.headers).toMatchObject({ 'apns-push-type': 'alert', 'apns-priority': '10' });
    expect(fcmPush?.payload).toMatchObject({
      message: {
        token: fcm?.token,
        notification: { title: 'Alice', body: 'Hi Dan' },
        android: { collapse_key: chat.chatId, notification: { tag: chat.chatId } },
      },
    });
    // A direct chat's notification is titled with the sender's name.
    expect(contentOf(apnsPush as NonNullable<typeof apnsPush>).title).toBe('Alice');
  });

  it('never pushes to the sender, even when the sender is offline by the time the push is decided', async () => {
    const sender = await connectUser(stack, uniqueId('sender'), 'Sam');
    const [senderDevice] = await register(sender, [{ platform: 'apns', token: uniqueToken('sender') }]);
    const witness = await offlineUser(stack, [{ platform: 'fcm', token: uniqueToken('witness') }]);
    const chat = await makeGroup(sender, [witness.userId], 'Sender test');
    stack.pipeline.streams.pause();
    try {
      await sendText(sender, chat.chatId, 'Sent, then I went offline');
      await closeAll(stack, sender);
    } finally {
      stack.pipeline.streams.resume();
    }
    await waitForPushes(stack, witness.devices[0]?.token ?? '');
    expectNoPushes(stack, senderDevice?.token ?? '');
  });

  it('a message deleted before its push is processed produces no push', async () => {
    const erin = await offlineUser(stack, [{ platform: 'apns', token: uniqueToken('erin') }]);
    const token = erin.devices[0]?.token ?? '';
    const chat = await makeDirect(alice, erin.userId);
    stack.pipeline.streams.pause();
    let deleted: string;
    try {
      deleted = (await sendText(alice, chat.chatId, 'Oops, wrong chat')).messageId;
      await alice.ok('deleteMessage', { chatId: chat.chatId, messageId: deleted });
    } finally {
      stack.pipeline.streams.resume();
    }
    const kept = await sendText(alice, chat.chatId, 'This one stays');
    const [push] = await waitForPushes(stack, token);
    await pipelineSettled(stack);
    expect(pushesTo(stack, token)).toHaveLength(1);
    expect(contentOf(push as NonNullable<typeof push>)).toMatchObject({ messageId: kept.messageId, seq: 2 });
  });
});

describe('muted chats', { timeout: 60_000 }, () => {
  it('get no pushes while muted, and pushes again once `until` has passed', async () => {
    const witness = await offlineUser(stack, [{ platform: 'apns', token: uniqueToken('w') }]);
    const mutedUser = await connectUser(stack, uniqueId('muted'));
    const [device] = await register(mutedUser, [{ platform: 'fcm', token: uniqueToken('muted') }]);
    const chat = await makeGroup(alice, [witness.userId, mutedUser.userId], 'Noisy group');
    await mutedUser.ok('muteChat', { chatId: chat.chatId });
    await closeAll(stack, mutedUser);
    const token = device?.token ?? '';
    const witnessToken = witness.devices[0]?.token ?? '';

    await sendText(alice, chat.chatId, 'muted for ever');
    await waitForPushes(stack, witnessToken, 1);
    expectNoPushes(stack, token);

    // Muted for a short while: still nothing, then pushes again after `until`. (The pipeline decides
    // at processing time: the witness's push shows that it did so before `until`. Closing the muted
    // user's socket, a send and the witness's push took about 0.2 s at a load of 8: 3 s is room
    // enough, and the test waits out the rest.)
    const again = await connectUser(stack, mutedUser.userId);
    const until = new Date(Date.now() + 3000).toISOString();
    expect(await again.ok('muteChat', { chatId: chat.chatId, until })).toMatchObject({ mutedUntil: until });
    await closeAll(stack, again);
    await sendText(alice, chat.chatId, 'muted for a moment');
    const [, witnessed] = await waitForPushes(stack, witnessToken, 2);
    expect(Date.parse(witnessed?.sentAt ?? ''), 'decided before the mute passed').toBeLessThan(
      Date.parse(until),
    );
    expectNoPushes(stack, token);

    await sleep(Math.max(0, Date.parse(until) - Date.now()) + 50);
    const after = await sendText(alice, chat.chatId, 'the mute has passed');
    const [push] = await waitForPushes(stack, token, 1);
    expect(contentOf(push as NonNullable<typeof push>)).toMatchObject({ messageId: after.messageId });
  });
});

describe('badge', { timeout: 60_000 }, () => {
  it('is the total unread count across chats, and drops after reads', async () => {
    const frank = await offlineUser(stack, [{ platform: 'apns', token: uniqueToken('frank') }]);
    const token = frank.devices[0]?.token ?? '';
    const direct = await makeDirect(alice, frank.userId);
    const group = await makeGroup(alice, [frank.userId], 'Badge group');
    const badges: number[] = [];
    const sendAndWait = async (chatId: string, text: string) => {
      const message = await sendText(alice, chatId, text);
      const records = await waitForPushes(stack, token, badges.length + 1);
      badges.push(Number(contentOf(records.at(-1) as NonNullable<(typeof records)[0]>).badge));
      return message;
    };
    await sendAndWait(direct.chatId, 'one');
    const second = await sendAndWait(direct.chatId, 'two');
    await sendAndWait(group.chatId, 'three');
    expect(badges).toEqual([1, 2, 3]);

    const reader = await connectUser(stack, frank.userId);
    await reader.ok('readMessage', { chatId: direct.chatId, messageId: second.messageId });
    await closeAll(stack, reader);
    await sendAndWait(group.chatId, 'four');
    expect(badges).toEqual([1, 2, 3, 2]);
  });
});
