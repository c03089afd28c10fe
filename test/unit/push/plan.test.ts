/**
 * Who gets a push for a new message and what it says, over mocked repositories: the sender, muted
 * members, members with a socket (listed in the group's roster, or found by their own lookup),
 * members without devices and members who already read it get none;
 * a deleted message or a deleted chat gives none; only devices as stored now (read again,
 * consistently) are pushed, and only those not past their expiry (their app registered them within
 * the stale window) by the planner's clock; title, body and badge.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DEVICE_STALE_AFTER_SECONDS, MESSAGE } from '../../../lambdas/data/items.ts';
import type { DeviceRecord, MemberRecord } from '../../../lambdas/data/store.ts';
import { MUTED_FOREVER } from '../../../lambdas/domain/mute.ts';
import { Counters } from '../../../lambdas/pipeline/metrics.ts';
import { planDeferred, planPushes, readsRoster } from '../../../lambdas/push/plan.ts';
import { fakeDeps, groupChat, NOW } from '../domain/fakes.ts';
import { deviceRecord, LUNCH_MESSAGE, PUSH_MESSAGE, storeTargets } from './fixtures.ts';

const message = LUNCH_MESSAGE;
const image = MESSAGE.toItem(message);

const deviceOf = (userId: string, n = 1): DeviceRecord => deviceRecord(userId, n % 2 ? 'apns' : 'fcm', n);

let t: ReturnType<typeof fakeDeps>;
let members: MemberRecord[];

function online(...userIds: string[]) {
  storeTargets(t.store, (userId) => ({
    online: userIds.includes(userId),
    devices: userId === 'nodevice' ? [] : [deviceOf(userId, 1), deviceOf(userId, 2)],
  }));
}

beforeEach(() => {
  t = fakeDeps();
  const group = groupChat('alice', ['alice', 'bob', 'carol', 'dave', 'erin', 'nodevice'], { lastSeq: 5 });
  members = group.members.map((m) =>
    m.userId === 'dave'
      ? { ...m, mutedUntil: MUTED_FOREVER }
      : m.userId === 'erin'
        ? { ...m, lastReadSeq: 5 }
        : m,
  );
  t.store.chats.getWithMembers.mockResolvedValue({ chat: group.chat, members });
  t.store.messages.get.mockResolvedValue(message);
  online('carol');
});

const plan = () => planPushes({ store: t.deps.store, now: t.deps.now }, image, new Counters('test'));

describe('planPushes', () => {
  it('pushes to each device of offline, unmuted members who have not read it — not to the sender', async () => {
    const planned = await plan();
    expect(planned.map((p) => p.device.deviceId).sort()).toEqual(['d_bob1', 'd_bob2']);
    expect(t.store.messages.get).toHaveBeenCalledWith('g1', 5, { consistent: true });
    // Only members who might get one are looked up: not the sender, the muted or the up-to-date.
    expect(t.store.devices.pushTargets.mock.calls.map(([u]) => u).sort()).toEqual([
      'bob',
      'carol',
      'nodevice',
    ]);
    // With nobody to push, the message is not even read again.
    online('bob', 'carol');
    t.store.messages.get.mockClear();
    expect(await plan()).toEqual([]);
    expect(t.store.messages.get).not.toHaveBeenCalled();
  });

  it('in a group, looks up only the candidates its roster does not list', async () => {
    t.store.rosters.list.mockResolvedValue([
      { userId: 'carol', connectionId: 'c1' },
      { userId: 'carol', connectionId: 'c2' },
      { userId: 'alice', connectionId: 'a1' },
      { userId: 'dave', connectionId: 'd1' },
    ]);
    const counters = new Counters('test');
    const planned = await planPushes({ store: t.deps.store, now: t.deps.now }, image, counters);
    expect(planned.map((p) => p.device.deviceId).sort()).toEqual(['d_bob1', 'd_bob2']);
    // Eventually consistent: who may be online, at half the price.
    expect(t.store.rosters.list).toHaveBeenCalledExactlyOnceWith('g1', { consistent: false });
    expect(t.store.devices.pushTargets.mock.calls.map(([u]) => u).sort()).toEqual(['bob', 'nodevice']);
    // A member the roster does not list yet but who has a socket (joined while connecting) gets none.
    online('bob');
    expect(await plan()).toEqual([]);
  });

  it('trusts the roster: a member it lists gets no push, even one whose own lookup says offline', async () => {
    // The trade-off of plan.ts: an entry that outlived its socket keeps its member from a push in
    // this group until a post finds the socket gone. Pinned here so that a change is deliberate.
    online();
    t.store.rosters.list.mockResolvedValue([{ userId: 'bob', connectionId: 'stale' }]);
    const planned = await plan();
    expect(planned.map((p) => p.device.userId)).toEqual(['carol', 'carol']);
    expect(t.store.devices.pushTargets.mock.calls.map(([u]) => u).sort()).toEqual(['carol', 'nodevice']);
  });

  it('reads no roster outside a group, for a single candidate, or for few candidates in a big group', () => {
    const group = { kind: 'group', memberCount: 6 } as const;
    expect(readsRoster(group, 3)).toBe(true);
    expect(readsRoster({ ...group, kind: 'direct' }, 3)).toBe(false);
    expect(readsRoster(group, 1)).toBe(false);
    // One candidate in 20 members or more: 50 of 1,000 read it, 49 do not.
    expect(readsRoster({ kind: 'group', memberCount: 1000 }, 50)).toBe(true);
    expect(readsRoster({ kind: 'group', memberCount: 1000 }, 49)).toBe(false);
  });

  it('in a direct chat, looks its one candidate up without a roster', async () => {
    const direct = groupChat('alice', ['alice', 'bob'], { kind: 'direct', name: null, lastSeq: 5 });
    t.store.chats.getWithMembers.mockResolvedValue(direct);
    expect((await plan()).length).toBe(2);
    expect(t.store.rosters.list).not.toHaveBeenCalled();
    expect(t.store.devices.pushTargets).toHaveBeenCalledOnce();
  });

  it('says who and what: the group name, a preview, the ids and the badge', async () => {
    // Bob's badge counter (his unread count when he went offline, plus the pushes since) with this
    // message: 12. No membership or chat of his is read.
    t.store.badges.bump.mockImplementation(async (userId) => (userId === 'bob' ? 12 : 1));
    const [first] = await plan();
    expect(first?.content).toEqual({
      chatId: 'g1',
      messageId: message.messageId,
      seq: 5,
      senderId: 'alice',
      title: 'Team',
      body: 'Lunch at noon?',
      badge: 12,
    });
    expect(t.store.chats.listMemberships).not.toHaveBeenCalled();
    expect(t.store.chats.getMembershipsAndChats).not.toHaveBeenCalled();
  });

  it('counts one per recipient pushed, and never less than their unread count in the chat', async () => {
    // A counter behind the chat (Bob left messages unread while his socket was open, or the counter
    // is new): the chat's own count, exact from the head, is the floor.
    t.store.badges.bump.mockResolvedValue(1);
    const planned = await plan();
    expect(planned.map((p) => p.content.badge)).toEqual(planned.map(() => 5));
    expect(t.store.badges.bump.mock.calls.map(([u]) => u).sort()).toEqual(
      [...new Set(planned.map((p) => p.device.userId))].sort(),
    );
  });

  it('counts no own scheduled message above a cursor (`sentAhead`) in the chat’s floor', async () => {
    // Bob's own scheduled message went out at seq 2, above his cursor: 4 unread here (1, 3, 4, 5).
    members = members.map((m) => (m.userId === 'bob' ? { ...m, sentAhead: new Set([2]) } : m));
    t.store.chats.getWithMembers.mockResolvedValue({
      chat: groupChat('alice', [], { lastSeq: 5 }).chat,
      members,
    });
    const [first] = await plan();
    expect(first?.content.badge).toBe(4);
  });

  it('titles a direct chat with the sender’s name', async () => {
    const direct = groupChat('alice', ['alice', 'bob'], { kind: 'direct', name: null, lastSeq: 5 });
    t.store.chats.getWithMembers.mockResolvedValue(direct);
    t.store.profiles.getMany.mockResolvedValue(
      new Map([['alice', { userId: 'alice', name: 'Alice A.', lastSeenAt: null }]]),
    );
    expect((await plan())[0]?.content.title).toBe('Alice A.');
  });

  it('shows the text as it is now (edited since), and nothing for a deleted message or chat', async () => {
    t.store.messages.get.mockResolvedValueOnce({ ...message, text: 'Lunch at one?', editedAt: NOW });
    expect((await plan())[0]?.content.body).toBe('Lunch at one?');
    t.store.messages.get.mockResolvedValueOnce({ ...message, deleted: true, text: '' });
    expect(await plan()).toEqual([]);
    t.store.messages.get.mockResolvedValueOnce(undefined);
    expect(await plan()).toEqual([]);
    t.store.messages.get.mockResolvedValueOnce({ ...message, messageId: 'm5_someoneelse1' });
    expect(await plan()).toEqual([]);
    // No META, read again consistently (the replica may not have the chat yet): none there either.
    const none = { chat: undefined, members: [] };
    t.store.chats.getWithMembers.mockResolvedValueOnce(none).mockResolvedValueOnce(none);
    expect(await plan()).toEqual([]);
    expect(t.store.chats.getWithMembers).toHaveBeenLastCalledWith('g1', { consistent: true });
    // Marked for deletion (its members are being removed): gone, at the first read or the second.
    const group = (await t.store.chats.getWithMembers('g1')).chat;
    if (!group) throw new Error('no chat');
    t.store.chats.getWithMembers.mockResolvedValueOnce({ chat: { ...group, deletedAt: NOW }, members });
    expect(await plan()).toEqual([]);
    t.store.chats.getChat.mockResolvedValueOnce({ ...group, deletedAt: NOW });
    expect(await plan()).toEqual([]);
    expect(await plan()).not.toEqual([]);
  });

  it("pushes each device as stored now: never one whose token changed hands since the lookup's read", async () => {
    // The lookup (eventually consistent) still lists bob's first device; the consistent read of his
    // devices no longer has it (its token registered by someone else since), and has a new one.
    t.store.devices.getState.mockImplementation(async (userId) => {
      const devices = userId === 'bob' ? [deviceOf('bob', 2), deviceOf('bob', 3)] : [];
      return { devices, count: devices.length };
    });
    const counters = new Counters('test');
    const planned = await planPushes({ store: t.deps.store, now: t.deps.now }, image, counters);
    expect(planned.map((p) => p.device.token).sort()).toEqual(['bob-token-2', 'bob-token-3']);
    expect(counters.get('PushStaleDeviceSkipped')).toBe(1);
    // One consistent read per recipient pushed (not per device, not per candidate).
    expect(t.store.devices.getState.mock.calls).toEqual([['bob']]);
  });

  it('pushes no device past its expiry by the planner’s clock (its app has not registered it for the window)', async () => {
    // Bob's first device went stale at the planner's `now` (its TTL has not deleted it yet); his second
    // one is live for one more second.
    const now = t.deps.now().getTime() / 1000;
    const stale = { ...deviceOf('bob', 1), expiresAt: now };
    const live = { ...deviceOf('bob', 2), expiresAt: now + 1 };
    storeTargets(t.store, (userId) => ({
      online: userId === 'carol',
      devices: userId === 'bob' ? [stale, live] : [],
    }));
    const counters = new Counters('test');
    const planned = await planPushes({ store: t.deps.store, now: t.deps.now }, image, counters);
    expect(planned.map((p) => p.device.deviceId)).toEqual(['d_bob2']);
    expect(counters.get('PushExpiredDeviceSkipped')).toBe(1);
    // A deferred notification to the stale device is not sent either (the push worker's path).
    const sends = [stale, live].map((d) => ({ userId: 'bob', deviceId: d.deviceId, badge: 1, tried: 1 }));
    const deferred = await planDeferred(
      { store: t.deps.store, now: t.deps.now },
      PUSH_MESSAGE,
      sends,
      counters,
    );
    expect(deferred.map((p) => p.device.deviceId)).toEqual(['d_bob2']);
    // Every device stale: nobody to push, and the message is not even read again.
    storeTargets(t.store, (userId) => ({
      online: false,
      connectionIds: [],
      devices: userId === 'bob' ? [stale] : [],
    }));
    t.store.messages.get.mockClear();
    expect(await plan()).toEqual([]);
    expect(t.store.messages.get).not.toHaveBeenCalled();
  });

  it('pushes a device stored without a TTL, and gives it its window (the configured days) once', async () => {
    const now = t.deps.now().getTime() / 1000;
    const legacy = { ...deviceOf('bob', 1), expiresAt: undefined };
    const dated = deviceOf('bob', 2);
    storeTargets(t.store, (userId) => ({
      online: false,
      connectionIds: [],
      devices: userId === 'bob' ? [legacy, dated] : [],
    }));
    const counters = new Counters('test');
    const deps = { store: t.deps.store, now: t.deps.now, deviceStaleAfterSeconds: 30 * 86_400 };
    const planned = await planPushes(deps, image, counters);
    expect(planned.filter((p) => p.device.userId === 'bob').map((p) => p.device.deviceId)).toEqual([
      'd_bob1',
      'd_bob2',
    ]);
    // Only the device without one, its window counted from the planner's clock.
    expect(t.store.devices.startWindow.mock.calls).toEqual([[legacy, now + 30 * 86_400]]);
    expect(counters.get('PushDeviceWindowStarted')).toBe(1);
    // The push worker's path starts it too (the default window: 60 days).
    t.store.devices.startWindow.mockClear();
    const sends = [{ userId: 'bob', deviceId: legacy.deviceId, badge: 1, tried: 1 }];
    await planDeferred({ store: t.deps.store, now: t.deps.now }, PUSH_MESSAGE, sends, counters);
    expect(t.store.devices.startWindow.mock.calls).toEqual([[legacy, now + DEVICE_STALE_AFTER_SECONDS]]);
    // A write that fails is counted, not thrown: the device is pushed all the same.
    t.store.devices.startWindow.mockRejectedValue(new Error('throttled'));
    expect((await planPushes(deps, image, counters)).map((p) => p.device.deviceId)).toContain('d_bob1');
    expect(counters.get('PushDeviceWindowFailed')).toBeGreaterThan(0);
  });

  it('pushes again once a mute has passed', async () => {
    members[3] = { ...(members[3] as MemberRecord), mutedUntil: '2026-03-01T11:59:59.000Z' };
    expect((await plan()).map((p) => p.device.userId)).toContain('dave');
  });

  it('fails (so the record is retried) when a lookup fails, before anything is sent', async () => {
    t.store.devices.pushTargets.mockRejectedValueOnce(new Error('throttled'));
    await expect(plan()).rejects.toThrow('throttled');
    t.store.rosters.list.mockRejectedValueOnce(new Error('throttled roster'));
    await expect(plan()).rejects.toThrow('throttled roster');
    t.store.devices.getState.mockRejectedValueOnce(new Error('throttled devices'));
    await expect(plan()).rejects.toThrow('throttled devices');
  });
});
