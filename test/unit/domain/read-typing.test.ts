/** Message decisions of the domain: read cursors and typing (messages.test.ts: changes and authorship). */
import { describe, expect, it, vi } from 'vitest';
import { readMessage, typing } from '../../../lambdas/domain/messages.ts';
import { caller, sent, sentEphemeral, stored, withChat } from './fakes.ts';

vi.mock('node:timers/promises', async () => {
  const { clock } = await import('./fakes.ts');
  return { setTimeout: (ms: number) => clock.sleep(ms) };
});

const ann = caller('ann');

describe('readMessage', () => {
  it('tells the chat when the cursor moved', async () => {
    const { deps, store, fanOut } = withChat();
    const message = stored(3);
    store.messages.get.mockResolvedValue(message);
    await expect(readMessage(deps, ann, { chatId: 'g1', messageId: message.messageId })).resolves.toEqual({
      chatId: 'g1',
      lastReadSeq: 3,
    });
    expect(sent(fanOut)[0]?.frame).toEqual({
      type: 'message.read',
      chatId: 'g1',
      userId: 'ann',
      lastReadSeq: 3,
    });
  });

  it('tells every member in a group of 200, only the reader’s own sockets in a group of 201', async () => {
    const frame = { type: 'message.read', chatId: 'g1', userId: 'ann', lastReadSeq: 3 };
    for (const size of [200, 201]) {
      const ids = ['ann', ...Array.from({ length: size - 1 }, (_, i) => `m${i}`)];
      const { deps, store, fanOut } = withChat({}, ids);
      const message = stored(3);
      store.messages.get.mockResolvedValue(message);
      await readMessage(deps, ann, { chatId: 'g1', messageId: message.messageId });
      expect(sent(fanOut)).toEqual([
        size === 200
          ? {
              userIds: [...ids].sort(),
              frame,
              options: { chat: expect.objectContaining({ memberCount: 200 }), sockets: [] },
            }
          : { userIds: ['ann'], frame, options: undefined },
      ]);
    }
  });

  it('tells the members the roster lists when it lists at most 200 sockets, only the reader’s own above', async () => {
    const frame = { type: 'message.read', chatId: 'g1', userId: 'ann', lastReadSeq: 3 };
    const socket = (userId: string, n: number) => ({ userId, connectionId: `k-${userId}-${n}` });
    for (const [listed, expected] of [
      // Listed: every member's sockets, and one of someone not a member (a racing $connect's).
      [
        [socket('ann', 1), socket('bob', 1), socket('bob', 2), socket('eve', 1)],
        {
          userIds: ['ann', 'bob'],
          frame,
          options: {
            chat: expect.objectContaining({ memberCount: 2 }),
            sockets: [socket('ann', 1), socket('bob', 1), socket('bob', 2)],
          },
        },
      ],
      // More than 200 sockets online (10 each of 2 members would not be; 201 here): the reader's own.
      [undefined, { userIds: ['ann'], frame, options: undefined }],
    ] as const) {
      const { deps, store, fanOut } = withChat();
      fanOut.directory.someSocketsOfGroup.mockResolvedValue(listed && [...listed]);
      const message = stored(3);
      store.messages.get.mockResolvedValue(message);
      await readMessage(deps, ann, { chatId: 'g1', messageId: message.messageId });
      expect(fanOut.directory.someSocketsOfGroup).toHaveBeenCalledWith('g1', 200, { consistent: true });
      expect(sent(fanOut)).toEqual([expected]);
    }
  });

  it('tells the reader’s own sockets at once, and hands the others to the worker, when the roster cannot be read', async () => {
    const { deps, store, fanOut } = withChat({}, ['ann', 'bob', 'cat']);
    fanOut.directory.someSocketsOfGroup.mockRejectedValue(new Error('throttled'));
    const message = stored(3);
    store.messages.get.mockResolvedValue(message);
    await expect(readMessage(deps, ann, { chatId: 'g1', messageId: message.messageId })).resolves.toEqual({
      chatId: 'g1',
      lastReadSeq: 3,
    });
    const frame = { type: 'message.read', chatId: 'g1', userId: 'ann', lastReadSeq: 3 };
    expect(sent(fanOut)).toEqual([{ userIds: ['ann'], frame, options: undefined }]);
    // The worker reads the roster again (up to 200 sockets; more: nobody) and posts to its sockets
    // but the reader's, who were told here, and those the reader blocked (receipts.ts): version 2,
    // which no worker from before that filter runs (jobs.ts READER_JOB_VERSION).
    const job = { v: 2, chatId: 'g1', frame: JSON.stringify(frame), targets: [], attempt: 1 };
    expect(fanOut.queueJob.mock.calls).toEqual([[{ ...job, maxSockets: 200, reader: 'ann' }]]);
  });

  it('answers the cursor where it is, silently, when it is already further', async () => {
    const { deps, store, fanOut } = withChat();
    const message = stored(3);
    store.messages.get.mockResolvedValue(message);
    store.cursors.advance.mockResolvedValue({ status: 'unchanged', lastReadSeq: 8 });
    const result = await readMessage(deps, ann, { chatId: 'g1', messageId: message.messageId });
    expect(result.lastReadSeq).toBe(8);
    expect(fanOut.toUsers).not.toHaveBeenCalled();
    expect(store.chats.getMemberAndChat).not.toHaveBeenCalled();
  });

  it('answers NOT_FOUND when the caller left meanwhile', async () => {
    const { deps, store } = withChat();
    const message = stored(3);
    store.messages.get.mockResolvedValue(message);
    store.cursors.advance.mockResolvedValue({ status: 'not-member' });
    await expect(
      readMessage(deps, ann, { chatId: 'g1', messageId: message.messageId }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('readMessage in a direct chat', () => {
  it('counts the caller’s own newest message as read: no write below it', async () => {
    const { deps, store, fanOut } = withChat({ kind: 'direct', sentSeq: { ann: 6 } });
    const message = stored(4, { senderId: 'bob' });
    store.messages.get.mockResolvedValue(message);
    await expect(readMessage(deps, ann, { chatId: 'g1', messageId: message.messageId })).resolves.toEqual({
      chatId: 'g1',
      lastReadSeq: 6,
    });
    expect(store.cursors.advance).not.toHaveBeenCalled();
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });

  it('moves past the caller’s own newest message like any cursor', async () => {
    const { deps, store } = withChat({ kind: 'direct', sentSeq: { ann: 6 } });
    const message = stored(8, { senderId: 'bob' });
    store.messages.get.mockResolvedValue(message);
    await expect(
      readMessage(deps, ann, { chatId: 'g1', messageId: message.messageId }),
    ).resolves.toMatchObject({
      lastReadSeq: 8,
    });
    expect(store.cursors.advance).toHaveBeenCalledWith('g1', 'ann', 8);
  });
});

describe('typing', () => {
  it('tells the other members that the caller is typing', async () => {
    const { deps, fanOut } = withChat();
    await typing(deps, ann, { chatId: 'g1', isTyping: true });
    expect(sentEphemeral(fanOut)).toEqual([
      {
        userIds: ['bob'],
        frame: { type: 'typing', chatId: 'g1', userId: 'ann', isTyping: true },
        options: {
          chat: expect.objectContaining({ chatId: 'g1', kind: 'group' }),
          without: expect.any(Function),
        },
      },
    ]);
    expect(fanOut.toUsers).not.toHaveBeenCalled(); // best-effort: never queued nor retried
  });

  it('leaves out, in a group, the users the caller has blocked among those whose sockets are found', async () => {
    const { deps, store, fanOut } = withChat();
    store.blocks.blockedOf.mockResolvedValue(new Set(['bob']));
    await typing(deps, ann, { chatId: 'g1', isTyping: true });
    const without = sentEphemeral(fanOut)[0]?.options?.without;
    // Asked only once sockets are found (lambdas/fanout/ephemeral.ts), about their users.
    expect(store.blocks.blockedOf).not.toHaveBeenCalled();
    expect(await without?.(['bob'])).toEqual(new Set(['bob']));
    expect(store.blocks.blockedOf).toHaveBeenCalledWith('ann', ['bob']);
  });
});

describe('typing in a direct chat (blocks)', () => {
  const direct = (blockedSenders: string[]) =>
    withChat({ chatId: 'g1', kind: 'direct', blocksMirrored: true, blockedSenders: new Set(blockedSenders) });

  it('trusts a mirror that lists no block of the caller: nothing read, the peer told', async () => {
    const { deps, store, fanOut } = direct([]);
    await typing(deps, ann, { chatId: 'g1', isTyping: true });
    expect(store.blocks.isBlocked).not.toHaveBeenCalled();
    expect(sentEphemeral(fanOut).map((s) => s.userIds)).toEqual([['bob']]);
  });

  it('confirms a mirror that lists the caller with the block item: read before an unblock, the peer is told', async () => {
    const { deps, store, fanOut } = direct(['ann']);
    store.blocks.isBlocked.mockResolvedValue(false); // bob unblocked ann after the chat was read
    const answer = await typing(deps, ann, { chatId: 'g1', isTyping: true });
    expect(store.blocks.isBlocked).toHaveBeenCalledWith('bob', 'ann');
    expect(answer).toEqual({ chatId: 'g1', isTyping: true });
    expect(sentEphemeral(fanOut).map((s) => s.userIds)).toEqual([['bob']]);
  });

  it('a block the item confirms: nobody is told, the caller answered as always', async () => {
    const { deps, store, fanOut } = direct(['ann']);
    store.blocks.isBlocked.mockResolvedValue(true);
    expect(await typing(deps, ann, { chatId: 'g1', isTyping: true })).toEqual({
      chatId: 'g1',
      isTyping: true,
    });
    expect(sentEphemeral(fanOut)).toEqual([]);
  });
});
