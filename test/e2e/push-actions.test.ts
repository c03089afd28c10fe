/**
 * The push actions over real sockets: registerDevice (idempotent, a token moves to whoever registers
 * it last, at most 20 devices with the least recently registered evicted, safe under parallel
 * registrations), unregisterDevice, muteChat and ChatSummary.mutedUntil, and the refusals of bad input (error frame
 * naming the field, nothing written, socket usable).
 */
import type * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { Device } from '../../lambdas/contract/objects.ts';
import { keys } from '../../lambdas/data/keys.ts';
import { MUTED_FOREVER } from '../../lambdas/domain/mute.ts';
import {
  closeAll,
  connectUser,
  expectContractShape,
  expectRefused,
  expectSummaryShape,
  makeDirect,
  makeGroup,
  sendText,
  summaryOf,
  type UserSocket,
} from '../support/chat.ts';
import { sleep } from '../support/client.ts';
import {
  expectNoPushes,
  pipelineSettled,
  storedDevices,
  uniqueToken,
  useAlice,
  usePushStack,
  waitForPushes,
} from '../support/push.ts';

// 22 registerDevice within a minute below: above the per-user limit of 10 a minute (issue 17).
const stack = usePushStack({ env: { RATE_LIMIT_FACTOR: '5' } });
const alice = useAlice(stack);

async function registerOk(socket: UserSocket, platform: string, token: string) {
  return (await socket.ok('registerDevice', { platform, token })).device as v.InferOutput<typeof Device>;
}

describe('registerDevice', { timeout: 60_000 }, () => {
  it('acks a Device and stores it; registering the same token again returns the same device', async () => {
    const user = await connectUser(stack);
    const token = uniqueToken('same');
    const first = await user.ok('registerDevice', { platform: 'apns', token, appId: 'com.example.chat' });
    expect(first).toMatchObject({ type: 'ack', action: 'registerDevice' });
    expectContractShape(Device, first.device);
    expect(first.device).toMatchObject({ platform: 'apns', deviceId: expect.stringMatching(/^d_/) });
    const again = await registerOk(user, 'apns', token);
    expect(again).toEqual(first.device);
    expect(await storedDevices(stack, user.userId)).toEqual({
      tokens: [token],
      ids: [again.deviceId],
      count: 1,
    });
    await user.close();
  });

  it('moves a token to the user who registers it last', async () => {
    const token = uniqueToken('moving');
    const bob = await connectUser(stack);
    const bobDevice = await registerOk(bob, 'fcm', token);
    const carol = await connectUser(stack);
    const carolDevice = await registerOk(carol, 'fcm', token);
    expect(carolDevice.deviceId).not.toBe(bobDevice.deviceId);
    expect(await storedDevices(stack, bob.userId)).toEqual({ tokens: [], ids: [], count: 0 });
    expect(await storedDevices(stack, carol.userId)).toMatchObject({ tokens: [token], count: 1 });
    expect(await stack.items(keys.deviceToken('fcm', token).pk)).toEqual([
      expect.objectContaining({ userId: carol.userId, deviceId: carolDevice.deviceId }),
    ]);
    expect((await bob.request('unregisterDevice', { deviceId: bobDevice.deviceId })).code).toBe('NOT_FOUND');

    // Pushes follow the token: a message to (offline) Bob no longer reaches it, one to Carol does.
    await closeAll(stack, bob, carol);
    const toBob = await makeDirect(alice, bob.userId);
    const toCarol = await makeDirect(alice, carol.userId);
    await sendText(alice, toBob.chatId, 'for Bob');
    const forCarol = await sendText(alice, toCarol.chatId, 'for Carol');
    const [push] = await waitForPushes(stack, token);
    await pipelineSettled(stack);
    expect(stack.pipeline.push.to(token)).toHaveLength(1);
    expect(push?.payload).toMatchObject({ message: { data: { messageId: forCarol.messageId } } });
  });

  it('keeps at most 20 devices per user: the 21st evicts the least recently registered', async () => {
    const user = await connectUser(stack);
    const tokens = Array.from({ length: 21 }, (_, i) => uniqueToken(`many${i}`));
    const devices = [];
    for (const token of tokens.slice(0, 20)) devices.push(await registerOk(user, 'apns', token));
    // The first device's app starts again and registers (its phone in daily use): the second one,
    // registered once and never since, is the one evicted.
    expect(await registerOk(user, 'apns', tokens[0] ?? '')).toEqual(devices[0]);
    devices.push(await registerOk(user, 'apns', tokens[20] ?? ''));
    const stored = await storedDevices(stack, user.userId);
    expect(stored.count).toBe(20);
    expect(stored.tokens).toEqual(tokens.filter((_, i) => i !== 1).sort());
    expect((await user.request('unregisterDevice', { deviceId: devices[1]?.deviceId })).code).toBe(
      'NOT_FOUND',
    );
    // The evicted token is free: another user registers it as a new device.
    const other = await connectUser(stack);
    await registerOk(other, 'apns', tokens[1] ?? '');
    expect(await storedDevices(stack, other.userId)).toMatchObject({ tokens: [tokens[1]], count: 1 });
    expect((await storedDevices(stack, user.userId)).count).toBe(20);
    await Promise.all([user.close(), other.close()]);
  });

  it('keeps the count exact under parallel registrations', async () => {
    const user = await connectUser(stack);
    const tokens = Array.from({ length: 6 }, (_, i) => uniqueToken(`par${i}`));
    const replies = await Promise.all(
      tokens.map((token) => user.request('registerDevice', { platform: 'fcm', token })),
    );
    const acked = replies.filter((r) => r.type === 'ack').length;
    for (const r of replies) if (r.type !== 'ack') expect(r.code).toBe('CONFLICT');
    const stored = await storedDevices(stack, user.userId);
    expect(stored.count).toBe(stored.ids.length);
    expect(stored.ids.length).toBe(acked);
    expect(acked).toBeGreaterThan(0);
    await user.close();
  });

  it.each([
    [{ platform: 'web', token: 'abc' }, /"platform" must be "apns" or "fcm"/],
    [{ token: 'abc' }, /"platform" is required/],
    [{ platform: 'apns', token: '' }, /"token" must not be empty/],
    [{ platform: 'apns', token: 'has space' }, /"token" must be printable ASCII/],
    [{ platform: 'apns', token: 'x'.repeat(4097) }, /"token" must be at most 4096 characters/],
    [{ platform: 'apns', token: 'abc', appId: '' }, /"appId"/],
  ])('refuses %j with BAD_REQUEST, writing nothing', async (fields, message) => {
    const before = await stack.items(`USER#${alice.userId}`);
    await expectRefused(stack, alice, 'registerDevice', fields, 'BAD_REQUEST', { message });
    expect(await stack.items(`USER#${alice.userId}`)).toEqual(before);
  });
});

describe('unregisterDevice', { timeout: 60_000 }, () => {
  it('removes the caller’s device and frees its token; unknown or foreign ids are NOT_FOUND', async () => {
    const user = await connectUser(stack);
    const token = uniqueToken('gone');
    const device = await registerOk(user, 'apns', token);
    const stranger = await connectUser(stack);
    await expectRefused(stack, stranger, 'unregisterDevice', { deviceId: device.deviceId }, 'NOT_FOUND');
    expect(await user.ok('unregisterDevice', { deviceId: device.deviceId })).toMatchObject({
      deviceId: device.deviceId,
    });
    expect(await storedDevices(stack, user.userId)).toEqual({ tokens: [], ids: [], count: 0 });
    expect(await stack.items(keys.deviceToken('apns', token).pk)).toEqual([]);
    await expectRefused(stack, user, 'unregisterDevice', { deviceId: device.deviceId }, 'NOT_FOUND');
    await expectRefused(stack, user, 'unregisterDevice', {}, 'BAD_REQUEST', {
      message: /"deviceId" is required/,
    });
    // Nothing is pushed to an unregistered device.
    await closeAll(stack, user);
    const chat = await makeDirect(alice, user.userId);
    await sendText(alice, chat.chatId, 'nobody home');
    await pipelineSettled(stack);
    expectNoPushes(stack, token);
    await stranger.close();
  });
});

describe('muteChat and ChatSummary.mutedUntil', { timeout: 60_000 }, () => {
  it('mutes for ever, until a time, or unmutes; listChats shows mutedUntil', async () => {
    const bob = await connectUser(stack);
    const chat = await makeGroup(alice, [bob.userId], 'Mute me');
    expect((await summaryOf(bob, chat.chatId))?.mutedUntil).toBeNull();

    expect(await bob.ok('muteChat', { chatId: chat.chatId })).toMatchObject({
      chatId: chat.chatId,
      mutedUntil: MUTED_FOREVER,
    });
    const summary = await summaryOf(bob, chat.chatId);
    expectSummaryShape(summary);
    expect(summary?.mutedUntil).toBe(MUTED_FOREVER);
    expect((await summaryOf(alice, chat.chatId))?.mutedUntil).toBeNull(); // a mute is the caller's own

    const until = '2099-06-01T10:00:00+02:00';
    expect((await bob.ok('muteChat', { chatId: chat.chatId, until })).mutedUntil).toBe(
      '2099-06-01T08:00:00.000Z',
    );
    expect((await summaryOf(bob, chat.chatId))?.mutedUntil).toBe('2099-06-01T08:00:00.000Z');

    expect((await bob.ok('muteChat', { chatId: chat.chatId, until: null })).mutedUntil).toBeNull();
    expect((await summaryOf(bob, chat.chatId))?.mutedUntil).toBeNull();
    await bob.close();
  });

  it('shows null once `until` has passed', async () => {
    const bob = await connectUser(stack);
    const chat = await makeDirect(alice, bob.userId);
    const until = new Date(Date.now() + 3000).toISOString();
    await bob.ok('muteChat', { chatId: chat.chatId, until });
    expect((await summaryOf(bob, chat.chatId))?.mutedUntil).toBe(until);
    await sleep(Date.parse(until) - Date.now() + 50);
    expect((await summaryOf(bob, chat.chatId))?.mutedUntil).toBeNull();
    await bob.close();
  });

  it('refuses a past time, a bad time and chats the caller is not in, writing nothing', async () => {
    const chat = await makeGroup(alice, [], 'Mine');
    await expectRefused(
      stack,
      alice,
      'muteChat',
      { chatId: chat.chatId, until: '2001-01-01T00:00:00Z' },
      'BAD_REQUEST',
      { message: /"until" must be in the future/ },
    );
    await expectRefused(stack, alice, 'muteChat', { chatId: chat.chatId, until: 'tomorrow' }, 'BAD_REQUEST', {
      message: /"until" must be an ISO 8601 time/,
    });
    // A date that does not exist is refused, not moved on (2027-02-30 is not 2027-03-02).
    await expectRefused(
      stack,
      alice,
      'muteChat',
      { chatId: chat.chatId, until: '2027-02-30T00:00:00Z' },
      'BAD_REQUEST',
      { message: /"until" must be a date that exists/ },
    );
    await expectRefused(stack, alice, 'muteChat', { chatId: chat.chatId, until: 5 }, 'BAD_REQUEST', {
      message: /"until"/,
    });
    await expectRefused(stack, alice, 'muteChat', { until: null }, 'BAD_REQUEST', { message: /"chatId"/ });
    const outsider = await connectUser(stack);
    await expectRefused(stack, outsider, 'muteChat', { chatId: chat.chatId }, 'NOT_FOUND');
    await expectRefused(stack, outsider, 'muteChat', { chatId: 'c_nope' }, 'NOT_FOUND');
    await outsider.close();
  });
});
