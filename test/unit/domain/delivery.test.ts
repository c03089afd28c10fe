/**
 * markDelivered: one conditional write; the other members hear of it only when it moved, and only in
 * a chat of at most 200 members whose roster lists at most 200 sockets (receipts.ts; one that cannot
 * be read: the worker's to tell). The seq is checked against META, read by key (a seq
 * past the chat's last message is refused before anything is written); the members are read only
 * for a fan-out, from the container's cache while they are unchanged.
 */
import { describe, expect, it } from 'vitest';
import { markDelivered } from '../../../lambdas/domain/delivery.ts';
import { caller, fakeDeps, groupChat, sent } from './fakes.ts';

const bob = caller('bob');
const team = (lastSeq: number, overrides = {}) =>
  groupChat('ann', ['ann', 'bob', 'cat'], { lastSeq, ...overrides });

/** Fake deps whose chat g1 is `head`: META by key (getChat), the members by Query. */
function withHead(head: ReturnType<typeof team>) {
  const fake = fakeDeps();
  fake.store.chats.getChat.mockResolvedValue(head.chat);
  fake.store.chats.getWithMembers.mockResolvedValue(head);
  return fake;
}

describe('markDelivered', () => {
  it('moves the cursor and tells the other members (not the caller): META by key, then the members', async () => {
    const { deps, store, fanOut } = withHead(team(7));
    const listed = ['ann', 'bob', 'cat', 'eve'].map((userId) => ({ userId, connectionId: `k-${userId}` }));
    fanOut.directory.someSocketsOfGroup.mockResolvedValue(listed);
    await expect(markDelivered(deps, bob, { chatId: 'g1', seq: 7 })).resolves.toEqual({
      chatId: 'g1',
      lastDeliveredSeq: 7,
    });
    expect(store.chats.getChat).toHaveBeenCalledWith('g1', { consistent: true });
    expect(store.cursors.markDelivered).toHaveBeenCalledWith('g1', 'bob', 7);
    expect(store.chats.getWithMembers).toHaveBeenCalledTimes(1);
    expect(sent(fanOut)).toEqual([
      {
        userIds: ['ann', 'cat'],
        frame: { type: 'message.delivered', chatId: 'g1', userId: 'bob', lastDeliveredSeq: 7 },
        options: {
          chat: expect.objectContaining({ chatId: 'g1', kind: 'group' }),
          // The roster's sockets of the others: not the caller's, nor a non-member's.
          sockets: [listed[0], listed[2]],
        },
      },
    ]);
  });

  it('tells nobody, reading no members, when the roster lists more than 200 sockets', async () => {
    const { deps, store, fanOut } = withHead(team(7));
    fanOut.directory.someSocketsOfGroup.mockResolvedValue(undefined);
    await expect(markDelivered(deps, bob, { chatId: 'g1', seq: 7 })).resolves.toEqual({
      chatId: 'g1',
      lastDeliveredSeq: 7,
    });
    expect(fanOut.directory.someSocketsOfGroup).toHaveBeenCalledWith('g1', 200, { consistent: true });
    expect(store.chats.getWithMembers).not.toHaveBeenCalled();
    expect(fanOut.toUsers).not.toHaveBeenCalled();
    expect(fanOut.queueJob).not.toHaveBeenCalled();
  });

  it('hands the receipt to the worker, posting nothing and reading no members, when the roster cannot be read', async () => {
    const { deps, store, fanOut } = withHead(team(7));
    fanOut.directory.someSocketsOfGroup.mockRejectedValue(new Error('throttled'));
    await expect(markDelivered(deps, bob, { chatId: 'g1', seq: 7 })).resolves.toEqual({
      chatId: 'g1',
      lastDeliveredSeq: 7,
    });
    expect(fanOut.toUsers).not.toHaveBeenCalled();
    expect(store.chats.getWithMembers).not.toHaveBeenCalled();
    // The worker reads the roster again, one Query (up to 200 sockets; more: nobody), and posts to
    // its sockets but the caller's and those the caller blocked (receipts.ts): version 2, which no
    // worker from before that filter runs (jobs.ts READER_JOB_VERSION).
    const frame = { type: 'message.delivered', chatId: 'g1', userId: 'bob', lastDeliveredSeq: 7 };
    expect(fanOut.queueJob.mock.calls).toEqual([
      [
        {
          v: 2,
          chatId: 'g1',
          frame: JSON.stringify(frame),
          targets: [],
          maxSockets: 200,
          reader: 'bob',
          attempt: 1,
        },
      ],
    ]);
  });

  it('loses no receipt when the member list cannot be read either: the call answers, the job is queued', async () => {
    // Before, the members were read for the job: that failing too answered an error after the cursor
    // had moved, with no job queued, and the client's retry found the cursor unchanged and told nobody.
    const { deps, store, fanOut } = withHead(team(7));
    store.chats.getWithMembers.mockRejectedValue(new Error('throttled'));
    fanOut.directory.someSocketsOfGroup.mockRejectedValue(new Error('throttled'));
    await expect(markDelivered(deps, bob, { chatId: 'g1', seq: 7 })).resolves.toEqual({
      chatId: 'g1',
      lastDeliveredSeq: 7,
    });
    expect(fanOut.queueJob).toHaveBeenCalledTimes(1);
  });

  it('answers the cursor where it is, reading only META and telling nothing, when it did not move', async () => {
    const { deps, store, fanOut } = withHead(team(20));
    store.cursors.markDelivered.mockResolvedValue({ status: 'unchanged', lastDeliveredSeq: 12 });
    await expect(markDelivered(deps, bob, { chatId: 'g1', seq: 7 })).resolves.toEqual({
      chatId: 'g1',
      lastDeliveredSeq: 12,
    });
    expect(store.chats.getChat).toHaveBeenCalledTimes(1);
    expect(store.chats.getWithMembers).not.toHaveBeenCalled();
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });

  it('with a cached head, tells the other members from the META it read and the cached members: one read in all', async () => {
    const { deps, store, fanOut } = withHead(team(20));
    deps.store.heads.remember('g1', team(20));
    const meta = { ...team(20).chat, lastSeq: 21, name: 'Team (as read)' };
    store.chats.getChat.mockResolvedValue(meta);
    await markDelivered(deps, bob, { chatId: 'g1', seq: 21 });
    expect(store.chats.getChat).toHaveBeenCalledTimes(1);
    expect(store.chats.getWithMembers).not.toHaveBeenCalled();
    expect(sent(fanOut)).toEqual([
      {
        userIds: ['ann', 'cat'],
        frame: { type: 'message.delivered', chatId: 'g1', userId: 'bob', lastDeliveredSeq: 21 },
        options: { chat: meta, sockets: [] },
      },
    ]);
  });

  it('with a cached head whose members changed since (a newer memberVer on META), reads the members for the fan-out', async () => {
    const now = groupChat('ann', ['ann', 'bob', 'cat', 'dan'], { lastSeq: 20, memberVer: 2 });
    const { deps, store, fanOut } = withHead(now);
    deps.store.heads.remember('g1', team(20));
    await markDelivered(deps, bob, { chatId: 'g1', seq: 7 });
    expect(store.chats.getWithMembers).toHaveBeenCalledTimes(1);
    expect(sent(fanOut)).toEqual([expect.objectContaining({ userIds: ['ann', 'cat', 'dan'] })]);
    expect(deps.store.heads.get('g1')?.members).toHaveLength(4); // cached for the next
  });

  it('in a group of more than 200 tells nobody and never reads the members, cached or not', async () => {
    const ids = ['ann', 'bob', ...Array.from({ length: 199 }, (_, i) => `m${i}`)];
    const { deps, store, fanOut } = withHead(groupChat('ann', ids, { lastSeq: 9 }));
    await expect(markDelivered(deps, bob, { chatId: 'g1', seq: 9 })).resolves.toEqual({
      chatId: 'g1',
      lastDeliveredSeq: 9,
    });
    expect(store.cursors.markDelivered).toHaveBeenCalledWith('g1', 'bob', 9);
    expect(store.chats.getChat).toHaveBeenCalledTimes(1);
    expect(store.chats.getWithMembers).not.toHaveBeenCalled();
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });

  it('answers NOT_FOUND, writing nothing, for a chat marked for deletion', async () => {
    const { deps, store, fanOut } = withHead(team(20, { deletedAt: '2026-03-01T11:00:00.000Z' }));
    await expect(markDelivered(deps, bob, { chatId: 'g1', seq: 7 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(store.cursors.markDelivered).not.toHaveBeenCalled();
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });

  it('refuses a seq past the last message (as META says, read consistently) to a member, writing nothing', async () => {
    const { deps, store, fanOut } = withHead(team(3));
    deps.store.heads.remember('g1', team(3));
    await expect(markDelivered(deps, bob, { chatId: 'g1', seq: 999_999 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/"seq" 999999 is past the last message of this chat \(3\)/),
    });
    expect(store.chats.getChat.mock.calls).toEqual([['g1', { consistent: true }]]);
    expect(store.cursors.lastReadSeq).toHaveBeenCalledWith('g1', 'bob');
    expect(store.cursors.markDelivered).not.toHaveBeenCalled();
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });

  it('takes a seq the container’s cached head does not know yet when META has it', async () => {
    const { deps } = withHead(team(7));
    deps.store.heads.remember('g1', team(5));
    await expect(markDelivered(deps, bob, { chatId: 'g1', seq: 7 })).resolves.toMatchObject({
      lastDeliveredSeq: 7,
    });
  });

  it('is NOT_FOUND for a non-member, telling nothing of the chat (not even a seq past its end)', async () => {
    const { deps, store } = withHead(groupChat('ann', ['ann', 'cat'], { lastSeq: 3 }));
    store.cursors.markDelivered.mockResolvedValue({ status: 'not-member' });
    for (const seq of [2, 7]) {
      await expect(markDelivered(deps, bob, { chatId: 'g1', seq })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    }
    // Within the chat, the conditional write refused it (nothing written); past its end, no write.
    expect(store.cursors.markDelivered).toHaveBeenCalledTimes(1);
  });
});
