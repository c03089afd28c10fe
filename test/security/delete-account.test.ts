/**
 * Deleting an account (docs/security.md, "Deleting an account"): `deleteAccount` (the caller's own)
 * and an administrator's `deleteUser`. The request writes the tombstone (the deactivation mark with
 * `deletedAt`, the socket count's mark: `$connect` refuses them 401), cancels the user's schedules,
 * removes their devices, closes their other sockets, deletes their profile and badge counter and
 * queues the job that leaves their chats on the retention queue; `deleteAccount`'s own socket is
 * closed after its ack. Repeats keep the first `deletedAt`; `reactivateUser` refuses a tombstone.
 *
 * Real sockets through the local gateway, DynamoDB Local, the local retention queue (its
 * `deleteAccount` jobs are held here, read, not run: the worker's side has its own tests).
 */
import { createHash } from 'node:crypto';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deps, setDeps } from '../../lambdas/domain/deps.ts';
import { type MetricValues, onMetrics } from '../../lambdas/shared/metrics.ts';
import { FANOUT_WORKER, RETENTION_WORKER } from '../../lib/workers.ts';
import type { LocalQueue } from '../../local/queue.ts';
import { readAudit } from '../../scripts/audit.ts';
import {
  anotherSocket,
  closeAll,
  connectAdmin,
  connectUser,
  makeDirect,
  makeGroup,
  storedConnectionIds,
} from '../support/chat.ts';
import { HandshakeError } from '../support/client.ts';
import { vanishSocket } from '../support/ghost.ts';
import { FILES, s3Of, tagsOf, uploadFile } from '../support/media.ts';
import { register, storedDevices, twoDevices } from '../support/push.ts';
import { inMs, pendingCount, schedule, storedItem } from '../support/scheduled.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

const stack = useTestStack();
const table = useTableStore(stack);
const queue = () => stack.queues.get(RETENTION_WORKER.name) as LocalQueue;
const fanOutQueue = () => stack.queues.get(FANOUT_WORKER.name) as LocalQueue;

/** The deleteAccount jobs sent to the retention queue (held, not run). */
const jobs: Record<string, unknown>[] = [];
beforeAll(() => {
  const q = queue();
  const send = q.send.bind(q);
  q.send = (body, delaySeconds) => {
    if (!body.includes('"deleteAccount"')) return send(body, delaySeconds);
    jobs.push({ ...(JSON.parse(body) as Record<string, unknown>), delaySeconds });
    return { messageId: 'held', md5: createHash('md5').update(body).digest('hex') };
  };
});
beforeEach(() => {
  jobs.length = 0;
});
afterEach(() => setDeps(undefined));

const itemOf = async (userId: string, sk: string) =>
  (await stack.items(`USER#${userId}`)).find((i) => i.sk === sk);
const jobsOf = (userId: string) => jobs.filter((j) => j.userId === userId);
const auditOf = async (since: string, userId: string) =>
  (
    await readAudit({
      since,
      until: new Date(Date.now() + 1000).toISOString(),
      tableName: stack.tableName,
      endpoint: stack.dynamoEndpoint,
    })
  )
    .filter((r) => r.userId === userId)
    .map((r) => [r.actorId, r.action]);

describe('deleteAccount', { timeout: 60_000 }, () => {
  it("acks, closes this socket and the user's others, refuses them after, and deletes what the request owns", async () => {
    const since = new Date().toISOString();
    const alice = await connectUser(stack, uniqueId('alice'));
    const mallory = await connectUser(stack, uniqueId('mallory'), 'Mallory');
    const other = await anotherSocket(stack, mallory);
    const chat = await makeGroup(alice, [mallory.userId], 'Team');
    await makeDirect(alice, mallory.userId); // a peer to tell she went offline (presence marks on her profile)
    const devices = await register(mallory, twoDevices());
    const uploadId = await uploadFile(mallory, chat.chatId, FILES.png(3000), 'image/png', 'plan.png');
    const s = await schedule(mallory, chat.chatId, 'later', inMs(3_600_000), { attachments: [{ uploadId }] });
    await table.store.badges.set(mallory.userId, 3, new Date());
    expect(await itemOf(mallory.userId, 'PROFILE')).toMatchObject({ name: 'Mallory' });
    expect(await itemOf(mallory.userId, 'BADGE')).toMatchObject({ count: 3 });

    const ack = await mallory.ok('deleteAccount', { eraseMessages: true });
    expect(ack).toMatchObject({
      userId: mallory.userId,
      deletedAt: expect.any(String),
      eraseMessages: true,
      scheduledCancelled: 1,
      devicesRemoved: 2,
      socketsClosed: 1,
    });
    expect(Date.parse(String(ack.deletedAt))).toBeGreaterThanOrEqual(Date.parse(since));
    // The socket that asked is closed after its ack, the other by the request.
    await Promise.all([mallory.closed, other.closed]);
    await expect(connectUser(stack, mallory.userId)).rejects.toEqual(new HandshakeError(401));
    await stack.gateway.idle();

    // The tombstone; the profile and badge gone (no closing socket's `$disconnect` brought them back).
    expect(await itemOf(mallory.userId, 'DEACTIVATED')).toMatchObject({
      deletedAt: ack.deletedAt,
      deactivatedAt: ack.deletedAt,
      actorId: mallory.userId,
    });
    expect(await itemOf(mallory.userId, 'PROFILE')).toBeUndefined();
    expect(await itemOf(mallory.userId, 'BADGE')).toBeUndefined();
    expect(await storedDevices(stack, mallory.userId)).toMatchObject({ tokens: [], count: 0 });
    for (const d of devices)
      expect(await table.store.devices.getTokenOwner(d.platform, d.token)).toBeUndefined();
    expect(await storedItem(stack, mallory.userId, s.scheduledId)).toMatchObject({ status: 'cancelled' });
    expect(await pendingCount(stack, mallory.userId)).toBe(0);
    const s3 = s3Of(stack);
    try {
      expect(await tagsOf(stack, s3, chat.chatId, uploadId)).toEqual(['chat-media=pending']);
    } finally {
      s3.destroy();
    }
    // The job that leaves her chats, at once; her memberships are the job's (still there).
    expect(jobsOf(mallory.userId)).toEqual([
      { v: 1, kind: 'deleteAccount', userId: mallory.userId, eraseMessages: true, delaySeconds: 0 },
    ]);
    expect((await stack.items(`CHAT#${chat.chatId}`)).some((i) => i.sk === `MEMBER#${mallory.userId}`)).toBe(
      true,
    );
    expect(await auditOf(since, mallory.userId)).toEqual([[mallory.userId, 'deleteAccount']]);
    await closeAll(stack, alice);
  });

  it("queues the offline check when a socket found gone was the user's last (her own's record gone)", async () => {
    const mallory = await connectUser(stack, uniqueId('mallory'));
    const phone = await anotherSocket(stack, mallory);
    // The asking socket's record is gone (a post to it found it gone during a network blip), and
    // her phone vanished without `$disconnect`: the one found gone is the last she has.
    const asking = { pk: `USER#${mallory.userId}`, sk: `CONN#${mallory.connectionId}` };
    await table.doc.send(new DeleteCommand({ TableName: stack.tableName, Key: asking }));
    await vanishSocket(stack, phone);
    const offlineChecks = fanOutQueue().stats.sent;
    expect(await mallory.ok('deleteAccount', {})).toMatchObject({ socketsClosed: 0 });
    await mallory.closed;
    expect(await storedConnectionIds(stack, mallory.userId)).toEqual([]);
    expect(fanOutQueue().stats.sent).toBe(offlineChecks + 1);
    await stack.idle();
  });

  it('refuses a field it does not know, naming it, and writes nothing', async () => {
    const bob = await connectUser(stack, uniqueId('bob'));
    const before = await stack.items(`USER#${bob.userId}`);
    for (const [fields, says] of [
      [{ userId: 'someone-else' }, /^"userId" is not a field of deleteAccount/],
      [{ erase_messages: true }, /^"erase_messages" is not a field of deleteAccount/],
      [{ eraseMessages: 'yes' }, /^"eraseMessages" must be true or false/],
      [{ eraseMessages: 1 }, /^"eraseMessages" must be true or false/],
    ] as const) {
      expect(await bob.request('deleteAccount', fields)).toMatchObject({
        type: 'error',
        code: 'BAD_REQUEST',
        message: expect.stringMatching(says),
      });
    }
    expect(await stack.items(`USER#${bob.userId}`)).toEqual(before);
    expect(jobsOf(bob.userId)).toEqual([]);
    expect(await bob.request('ping')).toMatchObject({ type: 'pong' });
    await closeAll(stack, bob);
  });

  it('when the queue refuses the job: INTERNAL, the tombstone stays, a repeat from the admin queues it', async () => {
    const admin = await connectAdmin(stack);
    const carol = await connectUser(stack, uniqueId('carol'));
    const refusing = { send: async () => Promise.reject(new Error('the queue refuses')) };
    setDeps({ ...deps(), retentionQueue: refusing });
    const emitted: MetricValues[] = [];
    const stopMetrics = onMetrics((values) => emitted.push(values));
    try {
      expect(await carol.request('deleteAccount', {})).toMatchObject({ type: 'error', code: 'INTERNAL' });
    } finally {
      stopMetrics();
      setDeps(undefined);
    }
    // Alarmed: the account is deleted, its chats are not left until a repeat (docs/operations.md).
    expect(emitted.reduce((n, v) => n + (v.AccountDeletionNotQueued ?? 0), 0)).toBe(1);
    const mark = await itemOf(carol.userId, 'DEACTIVATED');
    expect(mark).toMatchObject({ deletedAt: expect.any(String) });
    const again = await admin.ok('deleteUser', { userId: carol.userId });
    expect(again).toMatchObject({ deletedAt: mark?.deletedAt, eraseMessages: false, socketsClosed: 1 });
    await carol.closed;
    expect(jobsOf(carol.userId)).toEqual([
      { v: 1, kind: 'deleteAccount', userId: carol.userId, eraseMessages: false, delaySeconds: 0 },
    ]);
    await admin.close();
  });
});

describe('deleteUser', { timeout: 60_000 }, () => {
  it('an administrator deletes a user; repeats keep the first deletedAt; reactivateUser refuses it', async () => {
    const since = new Date().toISOString();
    const admin = await connectAdmin(stack);
    const dave = await connectUser(stack, uniqueId('dave'));
    // A deactivated user first: the mark gets `deletedAt`, its first time and actor kept.
    const deactivated = await admin.ok('deactivateUser', { userId: dave.userId });
    await dave.closed;
    const ack = await admin.ok('deleteUser', { userId: dave.userId });
    expect(ack).toMatchObject({ userId: dave.userId, eraseMessages: false, socketsClosed: 0 });
    const again = await admin.ok('deleteUser', { userId: dave.userId, eraseMessages: true });
    expect(again).toMatchObject({ deletedAt: ack.deletedAt, eraseMessages: true, devicesRemoved: 0 });
    const tombstone = await itemOf(dave.userId, 'DEACTIVATED');
    expect(tombstone).toMatchObject({
      deletedAt: ack.deletedAt,
      deactivatedAt: deactivated.deactivatedAt,
      actorId: admin.userId,
    });
    // Both queued: the repeat's with eraseMessages (the job is idempotent).
    expect(jobsOf(dave.userId).map((j) => j.eraseMessages)).toEqual([false, true]);

    const limitBefore = await stack.items(`LIMIT#${dave.userId}`);
    expect(await admin.request('reactivateUser', { userId: dave.userId })).toMatchObject({
      type: 'error',
      code: 'CONFLICT',
      message: `User "${dave.userId}" deleted their account (or was deleted); it cannot be reactivated.`,
    });
    expect(await itemOf(dave.userId, 'DEACTIVATED')).toEqual(tombstone);
    expect(await stack.items(`LIMIT#${dave.userId}`)).toEqual(limitBefore);
    await expect(connectUser(stack, dave.userId)).rejects.toEqual(new HandshakeError(401));
    // deactivateUser of a deleted user: harmless.
    expect(await admin.ok('deactivateUser', { userId: dave.userId })).toMatchObject({
      deactivatedAt: deactivated.deactivatedAt,
    });
    expect(await auditOf(since, dave.userId)).toEqual([
      [admin.userId, 'deactivateUser'],
      [admin.userId, 'deleteUser'],
      [admin.userId, 'deleteUser'],
      [admin.userId, 'deactivateUser'],
    ]);
    await admin.close();
  });

  it("gives a cancelled schedule's upload back, and queues the offline check of a last socket found gone", async () => {
    const admin = await connectAdmin(stack);
    const erin = await connectUser(stack, uniqueId('erin'));
    const alice = await connectUser(stack, uniqueId('alice'));
    const { chatId } = await makeGroup(alice, [erin.userId], 'Media');
    const uploadId = await uploadFile(erin, chatId, FILES.png(3000), 'image/png', 'plan.png');
    await schedule(erin, chatId, 'with a picture', inMs(3_600_000), { attachments: [{ uploadId }] });
    // Her phone lost its network: the gateway dropped the socket, and no `$disconnect` came.
    await vanishSocket(stack, erin);
    const offlineChecks = fanOutQueue().stats.sent;

    const ack = await admin.ok('deleteUser', { userId: erin.userId });
    expect(ack).toMatchObject({ scheduledCancelled: 1, socketsClosed: 0 });
    expect(await storedConnectionIds(stack, erin.userId)).toEqual([]);
    expect(fanOutQueue().stats.sent).toBe(offlineChecks + 1);
    const record = (await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === `UPLOAD#${uploadId}`);
    expect(record).toMatchObject({ status: 'pending' });
    const s3 = s3Of(stack);
    try {
      expect(await tagsOf(stack, s3, chatId, uploadId)).toEqual(['chat-media=pending']);
    } finally {
      s3.destroy();
    }
    await stack.idle();
    expect(await itemOf(erin.userId, 'PROFILE')).toBeUndefined();
    await closeAll(stack, alice);
    await admin.close();
  });

  it('only administrators (FORBIDDEN), never themselves (BAD_REQUEST), nothing written', async () => {
    const bob = await connectUser(stack, uniqueId('bob'));
    const victim = uniqueId('victim');
    expect(await bob.request('deleteUser', { userId: victim })).toMatchObject({
      type: 'error',
      action: 'deleteUser',
      code: 'FORBIDDEN',
    });
    expect(await stack.items(`USER#${victim}`)).toEqual([]);
    const admin = await connectAdmin(stack);
    const before = await stack.items(`USER#${admin.userId}`);
    expect(await admin.request('deleteUser', { userId: admin.userId })).toMatchObject({
      type: 'error',
      code: 'BAD_REQUEST',
      message: '"userId" must not be your own user id (deleteUser): use deleteAccount.',
    });
    expect(await stack.items(`USER#${admin.userId}`)).toEqual(before);
    expect(jobsOf(admin.userId)).toEqual([]);
    expect(await admin.request('ping')).toMatchObject({ type: 'pong' });
    await closeAll(stack, bob);
    await admin.close();
  });
});
