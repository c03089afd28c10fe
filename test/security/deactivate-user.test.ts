/**
 * Ending a user's access at once (docs/security.md, "Ending a user's access"): an administrator's
 * `deactivateUser` closes the user's open sockets, refuses their new ones (`$connect`'s claim of a
 * socket slot fails on the mark it leaves on the socket count: 401; test/security/
 * deactivated-connect.test.ts shows it writes nothing), cancels their waiting scheduled messages, removes their push
 * devices and token owner items, and keeps their memberships; repeating it is harmless, and
 * `reactivateUser` lets them connect again. Whatever slips past it (a schedule made, or a device
 * registered, while it ran) is stopped by the mark itself: the dispatcher posts nothing for a
 * deactivated author (`DEACTIVATED`) and the push planner sends a deactivated user nothing.
 *
 * Real sockets through the local gateway, DynamoDB Local, the local due queue and push pipeline.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatStore } from '../../lambdas/data/store.ts';
import { readAudit } from '../../scripts/audit.ts';
import {
  anotherSocket,
  closeAll,
  connectUser,
  eventsOf,
  getChat,
  makeGroup,
  sendText,
  settle,
} from '../support/chat.ts';
import { eventually, HandshakeError, TestClient } from '../support/client.ts';
import { FILES, s3Of, tagsOf, uploadFile } from '../support/media.ts';
import {
  expectNoPushes,
  pipelineSettled,
  register,
  storedDevices,
  twoDevices,
  uniqueToken,
  useAlice,
  usePushStack,
  waitForPushes,
} from '../support/push.ts';
import { inMs, pendingCount, schedule, storedItem, storedScheduled, withText } from '../support/scheduled.ts';
import { uniqueId } from '../support/stack.ts';

const stack = usePushStack();
const alice = useAlice(stack);
let doc: DynamoDBDocumentClient;
let store: ChatStore;

beforeAll(() => {
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  store = new ChatStore(doc, stack.tableName);
});
afterAll(() => {
  doc?.destroy();
});

async function connectAdmin(): Promise<TestClient & { userId: string }> {
  const userId = uniqueId('admin');
  const client = await TestClient.connect(await stack.urlFor(userId, { roles: ['admin'] }));
  return Object.assign(client, { userId });
}

const markOf = async (userId: string) =>
  (await stack.items(`USER#${userId}`)).find((i) => i.sk === 'DEACTIVATED');

/** A mark written as `deactivateUser` writes it, without its cleanup: what slipped past it. */
const markOnly = (userId: string) =>
  store.deactivations.mark({ userId, deactivatedAt: new Date().toISOString(), actorId: 'an-admin' });

describe('deactivateUser', { timeout: 60_000 }, () => {
  it("closes the user's sockets, refuses new ones, cancels their schedules, removes their devices", async () => {
    const since = new Date().toISOString();
    const admin = await connectAdmin();
    const mallory = await connectUser(stack, uniqueId('mallory'));
    const mallory2 = await anotherSocket(stack, mallory);
    const bob = await connectUser(stack);
    const [bobsPhone] = await register(bob, [{ platform: 'fcm', token: uniqueToken('bob') }]);
    await closeAll(stack, bob);
    const chat = await makeGroup(alice, [mallory.userId, bob.userId], 'Team');
    const devices = await register(mallory, twoDevices());
    const first = await schedule(mallory, chat.chatId, 'scheduled one', inMs(60_000));
    const second = await schedule(mallory, chat.chatId, 'scheduled two', inMs(120_000));
    expect(await pendingCount(stack, mallory.userId)).toBe(2);

    const ack = await admin.ok('deactivateUser', { userId: mallory.userId });
    expect(ack).toMatchObject({
      userId: mallory.userId,
      scheduledCancelled: 2,
      devicesRemoved: 2,
      socketsClosed: 2,
    });
    const deactivatedAt = String(ack.deactivatedAt);
    expect(Date.parse(deactivatedAt)).toBeGreaterThanOrEqual(Date.parse(since));

    // Her sockets are closed, and no new one opens with a valid token.
    await Promise.all([mallory.closed, mallory2.closed]);
    await expect(connectUser(stack, mallory.userId)).rejects.toEqual(new HandshakeError(401));
    // Her schedules are cancelled (uncounted), her devices and their token owner items gone.
    for (const s of [first, second]) {
      expect(await storedItem(stack, mallory.userId, s.scheduledId)).toMatchObject({ status: 'cancelled' });
    }
    expect(await pendingCount(stack, mallory.userId)).toBe(0);
    expect(await storedDevices(stack, mallory.userId)).toMatchObject({ tokens: [], count: 0 });
    for (const d of devices) expect(await store.devices.getTokenOwner(d.platform, d.token)).toBeUndefined();
    expect(await markOf(mallory.userId)).toMatchObject({ deactivatedAt, actorId: admin.userId });

    // Her membership stays (chosen as Stream does); her devices get none of the chat's pushes.
    expect((await getChat(alice, chat.chatId)).members.map((m) => m.userId)).toContain(mallory.userId);
    await sendText(alice, chat.chatId, 'after her deactivation');
    await waitForPushes(stack, bobsPhone?.token ?? '');
    await pipelineSettled(stack);
    expectNoPushes(stack, ...devices.map((d) => d.token));

    // Again: nothing left to do, the first mark's time kept.
    expect(await admin.ok('deactivateUser', { userId: mallory.userId })).toMatchObject({
      deactivatedAt,
      scheduledCancelled: 0,
      devicesRemoved: 0,
      socketsClosed: 0,
    });
    const audit = (
      await readAudit({
        since,
        until: new Date(Date.now() + 1000).toISOString(),
        tableName: stack.tableName,
        endpoint: stack.dynamoEndpoint,
      })
    ).filter((r) => r.userId === mallory.userId);
    expect(audit.map((r) => [r.actorId, r.action, r.chatId])).toEqual([
      [admin.userId, 'deactivateUser', null],
      [admin.userId, 'deactivateUser', null],
    ]);
    await admin.close();
  });

  it('gives the uploads of the cancelled schedules back, as cancelScheduled does', async () => {
    const admin = await connectAdmin();
    const mallory = await connectUser(stack, uniqueId('mallory'));
    const { chatId } = await makeGroup(alice, [mallory.userId], 'Media');
    const uploadId = await uploadFile(mallory, chatId, FILES.png(3000), 'image/png', 'plan.png');
    await schedule(mallory, chatId, 'with a picture', inMs(3_600_000), { attachments: [{ uploadId }] });
    const claimed = (await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === `UPLOAD#${uploadId}`);
    expect(claimed).toMatchObject({ status: 'used' });

    expect(await admin.ok('deactivateUser', { userId: mallory.userId })).toMatchObject({
      scheduledCancelled: 1,
    });
    const record = (await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === `UPLOAD#${uploadId}`);
    expect(record).toMatchObject({ status: 'pending' });
    expect(record?.usedBy ?? null).toBeNull();
    expect(Number(record?.ttl)).toBeGreaterThan(Date.now() / 1000);
    const s3 = s3Of(stack);
    try {
      expect(await tagsOf(stack, s3, chatId, uploadId)).toEqual(['chat-media=pending']);
    } finally {
      s3.destroy();
    }
    await admin.close();
  });

  it('reactivateUser lets the user connect again (what was cancelled stays so); both repeat harmlessly', async () => {
    const admin = await connectAdmin();
    const mallory = await connectUser(stack, uniqueId('mallory'));
    await admin.ok('deactivateUser', { userId: mallory.userId });
    await mallory.closed;
    await expect(connectUser(stack, mallory.userId)).rejects.toEqual(new HandshakeError(401));

    expect(await admin.ok('reactivateUser', { userId: mallory.userId })).toMatchObject({
      userId: mallory.userId,
      wasDeactivated: true,
    });
    expect(await markOf(mallory.userId)).toBeUndefined();
    const back = await connectUser(stack, mallory.userId);
    expect(await back.ok('listScheduled')).toMatchObject({ scheduled: [] });
    expect(await admin.ok('reactivateUser', { userId: mallory.userId })).toMatchObject({
      wasDeactivated: false,
    });
    await closeAll(stack, back);
    await admin.close();
  });
});

describe('the mark stops what slipped past deactivateUser', { timeout: 60_000 }, () => {
  it('the dispatcher posts no scheduled message of a deactivated author: it fails DEACTIVATED', async () => {
    const mallory = await connectUser(stack, uniqueId('mallory'));
    const bob = await connectUser(stack);
    const chat = await makeGroup(alice, [mallory.userId, bob.userId], 'Slipped');
    const text = 'made while she was being deactivated';
    const s = await schedule(mallory, chat.chatId, text, inMs(2500));
    await markOnly(mallory.userId);

    await eventually(
      async () => (await storedItem(stack, mallory.userId, s.scheduledId))?.status === 'failed',
      20_000,
    );
    expect(await storedItem(stack, mallory.userId, s.scheduledId)).toMatchObject({
      status: 'failed',
      reason: 'DEACTIVATED',
    });
    expect(await pendingCount(stack, mallory.userId)).toBe(0);
    await stack.scheduler.idle();
    await settle(stack, alice, bob);
    expect(eventsOf(bob, 'message.created', withText(text))).toEqual([]);
    expect((await storedScheduled(stack, mallory.userId)).map((i) => i.status)).toEqual(['failed']);
    await closeAll(stack, mallory, bob);
  });

  it('a deactivated user gets no push, even on a device still stored', async () => {
    const mallory = await connectUser(stack, uniqueId('mallory'));
    const bob = await connectUser(stack);
    const [phone] = await register(mallory, [{ platform: 'apns', token: uniqueToken('phone') }]);
    const [bobsPhone] = await register(bob, [{ platform: 'apns', token: uniqueToken('bob') }]);
    await closeAll(stack, mallory, bob);
    const chat = await makeGroup(alice, [mallory.userId, bob.userId], 'Pushes');
    await markOnly(mallory.userId);

    await sendText(alice, chat.chatId, 'not for her');
    await waitForPushes(stack, bobsPhone?.token ?? '');
    await pipelineSettled(stack);
    expectNoPushes(stack, phone?.token ?? '');
    expect((await storedDevices(stack, mallory.userId)).tokens).toEqual([phone?.token]);
  });
});

describe('who may deactivate', () => {
  it('only administrators (FORBIDDEN, nothing written), and not themselves', async () => {
    const bob = await connectUser(stack);
    const victim = uniqueId('victim');
    for (const action of ['deactivateUser', 'reactivateUser']) {
      expect(await bob.request(action, { userId: victim })).toMatchObject({
        type: 'error',
        action,
        code: 'FORBIDDEN',
      });
    }
    expect(await markOf(victim)).toBeUndefined();
    const admin = await connectAdmin();
    expect(await admin.request('deactivateUser', { userId: admin.userId })).toMatchObject({
      type: 'error',
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^"userId" must not be your own/),
    });
    expect(await markOf(admin.userId)).toBeUndefined();
    expect(await admin.request('ping')).toMatchObject({ type: 'pong' });
    await closeAll(stack, bob);
    await admin.close();
  });
});
