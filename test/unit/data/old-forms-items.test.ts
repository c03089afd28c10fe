/**
 * Items older releases wrote (test/fixtures/old-forms/, emitted by their own stacks), put raw into
 * DynamoDB Local and read through head's repositories the way head's handlers read them: sockets
 * open across the deploy, memberships, chats' META and head message, schedules of the older layout,
 * devices without a TTL, block lists without a count, reports in the legacy partition. Each read
 * must give what the old code meant, not just not throw.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isFinishedSchedule, type ScheduledRecord } from '../../../lambdas/data/items.ts';
import { dueShard, TTL_ATTRIBUTE } from '../../../lambdas/data/keys.ts';
import { ChatStore } from '../../../lambdas/data/store.ts';
import { ensureTable } from '../../../local/dynamodb-table.ts';
import { itemOf, OLD_RELEASES, oldRelease } from '../../support/old-forms.ts';

const endpoint = inject('dynamoEndpoint');

describe.each(OLD_RELEASES)('items of %s read by head', (commit) => {
  const release = oldRelease(commit);
  const ids = release.ids as NonNullable<typeof release.ids>;
  const item = (name: string) => itemOf(release, name);
  const TableName = `old-${commit}-${randomBytes(3).toString('hex')}`;
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint }));
  const store = new ChatStore(doc, TableName);
  /** How far the items' clock is moved to now: the socket stays open across the deploy. */
  const shift = Math.floor(Date.now() / 1000) - (release.writtenAt ?? 0);

  beforeAll(async () => {
    await ensureTable(endpoint, TableName, { stream: false });
    for (const { name, item: raw } of release.items ?? []) {
      const Item =
        name === 'connection' ? { ...raw, [TTL_ATTRIBUTE]: Number(raw[TTL_ATTRIBUTE]) + shift } : raw;
      await doc.send(new PutCommand({ TableName, Item }));
    }
  });
  afterAll(() => doc.destroy());

  it('a socket open across the deploy is listed and makes its user online', async () => {
    const expiresAt = Number(item('connection')[TTL_ATTRIBUTE]) + shift;
    expect(await store.connections.list('bob', { consistent: true })).toEqual([
      { connectionId: ids.bobConnection, expiresAt },
    ]);
    const targets = await store.devices.pushTargets('bob');
    expect(targets).toMatchObject({ online: true, connectionIds: [ids.bobConnection] });
  });

  it('memberships: both chats listed, the direct one with its peer; cursor, role and mute as written', async () => {
    const refs = await store.chats.listMemberships('bob');
    expect(refs.sort((a, b) => a.kind.localeCompare(b.kind))).toEqual([
      { chatId: ids.direct, userId: 'bob', kind: 'direct', peerId: 'ann' },
      { chatId: ids.group, userId: 'bob', kind: 'group' },
    ]);
    const { members, chats } = await store.chats.getMembershipsAndChats(refs, { consistent: true });
    expect(members.get(ids.direct)).toMatchObject({ role: 'member', lastReadSeq: 1, lastDeliveredSeq: 0 });
    expect(members.get(ids.group)).toMatchObject({
      role: 'member',
      lastReadSeq: 0,
      mutedUntil: '9999-12-31T23:59:59.999Z',
    });
    expect(chats.get(ids.group)?.name).toBe('Trio');
  });

  it('a group’s META and members, and its head message', async () => {
    const { chat, members } = await store.chats.getWithMembers(ids.group, { consistent: true });
    expect(chat).toMatchObject({ kind: 'group', name: 'Trio', ownerId: 'ann', lastSeq: 1, lastVer: 2 });
    expect(chat).toMatchObject({ memberVer: 1, memberCount: 3, minSyncVer: 0 });
    expect(members.map((m) => [m.userId, m.role])).toEqual([
      ['ann', 'owner'],
      ['bob', 'member'],
      ['cat', 'member'],
    ]);
    const head = (await store.messages.getLastMessages([chat as NonNullable<typeof chat>])).get(ids.group);
    expect(head).toMatchObject({ seq: 1, senderId: 'ann', text: 'hello trio', deleted: false });
    expect(head?.messageId).toBe(item('message-group').messageId);
  });

  it('a direct chat’s META without the pair, its mirror flag as written, found by its pair item', async () => {
    const { chat, members } = await store.chats.getWithMembers(ids.direct, { consistent: true });
    expect(chat).toMatchObject({ kind: 'direct', lastSeq: 1, sentSeq: { ann: 1 }, name: null });
    expect(chat?.pair).toBeUndefined();
    expect(chat?.blocksMirrored).toBe(item('chat-meta-direct').blocksMirrored);
    expect(members.map((m) => [m.userId, m.peerId])).toEqual([
      ['ann', 'bob'],
      ['bob', 'ann'],
    ]);
    expect(await store.chats.getDirectChatId('ann', 'bob')).toBe(ids.direct);
  });

  it('a pending schedule: its text and send time, listed, due in its shard, and claimable when due', async () => {
    const stored = item('scheduled-pending');
    const sendAt = String(stored.sendAt);
    const found = await store.scheduled.get('ann', ids.scheduledId, { consistent: true });
    expect(found && isFinishedSchedule(found)).toBe(false);
    const expected = { chatId: ids.group, text: 'later, trio', sendAt, status: 'pending', authorName: 'Ann' };
    expect(found).toMatchObject({ ...expected, attempts: 0, replyTo: null });
    expect((found as ScheduledRecord).sendClientMessageId).toBeUndefined();
    expect(await store.scheduled.listPending('ann')).toMatchObject([expected]);
    const ref = { userId: 'ann', scheduledId: ids.scheduledId, sendAt };
    expect(await store.due.listDue(dueShard(ids.scheduledId), { to: sendAt })).toEqual([ref]);
    const claimed = await store.scheduled.claim(ref, 'd1', new Date(sendAt), 60_000);
    expect(claimed).toMatchObject({ ...expected, status: 'sending', attempts: 1, dispatchId: 'd1' });
  });

  it('a schedule cancelled in the older layout (in place): found cancelled, never pending nor due', async () => {
    const found = await store.scheduled.get('ann', ids.cancelledId, { consistent: true });
    expect(found && isFinishedSchedule(found)).toBe(false);
    expect(found).toMatchObject({
      status: 'cancelled',
      text: 'never mind',
      chatId: ids.direct,
      messageId: null,
    });
    expect((await store.scheduled.listPending('ann')).map((s) => s.scheduledId)).toEqual([ids.scheduledId]);
    const due = await store.due.listDue(dueShard(ids.cancelledId), { to: '9999' });
    expect(due.map((d) => d.scheduledId)).not.toContain(ids.cancelledId);
  });

  it('a device stored without a TTL: live, its token, its owner item and count', async () => {
    const device = await store.devices.get('ann', ids.deviceId);
    expect(device).toMatchObject({ platform: 'fcm', token: 'tok-ann-1', appId: 'com.example.chat' });
    expect(device?.expiresAt).toBeUndefined();
    expect(device?.refreshedAt).toBeUndefined();
    const state = await store.devices.getState('ann');
    expect(state.count).toBe(1);
    expect(state.devices.map((d) => d.token)).toEqual(['tok-ann-1']);
    expect((await store.devices.pushTargets('ann')).devices.map((d) => d.deviceId)).toEqual([ids.deviceId]);
    expect(await store.devices.getTokenOwner('fcm', 'tok-ann-1')).toMatchObject({
      userId: 'ann',
      deviceId: ids.deviceId,
    });
  });

  it('a block list without a count: every read finds the block', async () => {
    expect(await store.blocks.isBlocked('cat', 'bob')).toBe(true);
    expect(await store.blocks.isBlocked('bob', 'cat')).toBe(false);
    expect(await store.blocks.listUpTo('cat', 10)).toEqual(['bob']);
    expect([...(await store.blocks.blockedOf('cat', ['ann', 'bob']))]).toEqual(['bob']);
    expect(await store.blocks.listPage('cat', 10)).toEqual({ userIds: ['bob'], next: undefined });
  });

  it('a report in the legacy partition is listed, pages read back from a later day', async () => {
    const reports = [];
    let after: string | undefined;
    for (let page = 0; page < 5; page++) {
      const got = await store.reports.list(25, after, '2027-01-15');
      reports.push(...got.reports);
      after = got.after;
      if (!after) break;
    }
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({
      reportId: ids.reportId,
      chatId: ids.group,
      messageId: item('message-group').messageId,
      reporterId: 'bob',
      reason: 'spam',
    });
  });
});
