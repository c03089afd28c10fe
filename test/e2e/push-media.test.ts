/**
 * Pushes for messages with attachments: the body is the same preview `listChats.lastMessage.text`
 * shows (`previewText`, lambdas/domain/preview.ts): "Photo", "Voice message", a count, or the text
 * when there is one. Real uploads through the local S3 stand-in, real sockets, the local pipeline.
 */
import { describe, expect, it } from 'vitest';
import type { Message } from '../../lambdas/contract/objects.ts';
import { type MetricValues, onMetrics } from '../../lambdas/shared/metrics.ts';
import { connectUser, makeDirect, summaryOf } from '../support/chat.ts';
import { FILES, uploadFile } from '../support/media.ts';
import {
  contentOf,
  offlineUser,
  pipelineSettled,
  pushesTo,
  twoDevices,
  useAlice,
  usePushStack,
  waitForPushes,
} from '../support/push.ts';
import { uniqueId } from '../support/stack.ts';

const stack = usePushStack();
const alice = useAlice(stack);

const sendWith = async (chatId: string, uploadIds: string[], text = '') =>
  (await alice.ok('sendMessage', { chatId, text, attachments: uploadIds.map((uploadId) => ({ uploadId })) }))
    .message as Message;

describe('pushes for messages with attachments', { timeout: 60_000 }, () => {
  it('an offline member gets "Photo", "Voice message", a count and a caption: what listChats shows', async () => {
    const business: MetricValues[] = [];
    const stopListening = onMetrics((values) => business.push(values));
    const dan = await offlineUser(stack, twoDevices());
    const { chatId } = await makeDirect(alice, dan.userId);
    const sent: Message[] = [];
    const png = FILES.png();
    sent.push(await sendWith(chatId, [await uploadFile(alice, chatId, png, 'image/png', 'beach.png')]));
    sent.push(await sendWith(chatId, [await uploadFile(alice, chatId, FILES.any(900), 'audio/mpeg')]));
    const two = [
      await uploadFile(alice, chatId, FILES.png(), 'image/png'),
      await uploadFile(alice, chatId, FILES.jpeg(), 'image/jpeg'),
    ];
    sent.push(await sendWith(chatId, two));
    sent.push(
      await sendWith(chatId, [await uploadFile(alice, chatId, FILES.png(), 'image/png')], 'At the beach'),
    );
    const expected = ['Photo', 'Voice message', '2 photos', 'At the beach'];

    for (const device of dan.devices) {
      const records = await waitForPushes(stack, device.token, sent.length);
      const contents = records.map(contentOf).sort((a, b) => Number(a.seq) - Number(b.seq));
      expect(contents.map((c) => [c.messageId, c.title, c.body])).toEqual(
        sent.map((m, i) => [m.messageId, 'Alice', expected[i]]),
      );
      expect(pushesTo(stack, device.token).every((r) => r.status === 200)).toBe(true);
    }
    // Each accepted notification is counted once in the stack's business metric PushesSent.
    await pipelineSettled(stack);
    stopListening();
    expect(business.reduce((n, v) => n + (v.PushesSent ?? 0), 0)).toBe(sent.length * dan.devices.length);

    // The same preview as the chat list: dan comes online and lists his chats.
    const danSocket = await connectUser(stack, dan.userId);
    try {
      expect((await summaryOf(danSocket, chatId))?.lastMessage?.text).toBe(expected.at(-1));
    } finally {
      await danSocket.close();
    }
  });

  it('an image message with no text: the body is "Photo", equal to the chat list preview', async () => {
    const erin = await offlineUser(stack, [{ platform: 'fcm', token: `fcm-${uniqueId('erin')}` }]);
    const { chatId } = await makeDirect(alice, erin.userId);
    const photo = await sendWith(chatId, [await uploadFile(alice, chatId, FILES.png(), 'image/png')]);
    const [device] = erin.devices;
    const [record] = await waitForPushes(stack, device?.token ?? '', 1);
    expect(record && contentOf(record)).toMatchObject({
      messageId: photo.messageId,
      body: 'Photo',
      badge: 1,
    });

    const erinSocket = await connectUser(stack, erin.userId);
    try {
      expect((await summaryOf(erinSocket, chatId))?.lastMessage?.text).toBe('Photo');
    } finally {
      await erinSocket.close();
    }
  });
});
