/**
 * sendMessage and its writer (`append.ts`): the cached head under the memberVer condition, the
 * claim's fate when input is refused, duplicates, and who is told. When the allocation or the put
 * must be tried again (members changed, deadlines against a fake clock, voids): send-retries.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import { newMessageId } from '../../../lambdas/domain/ids.ts';
import { sendMessage } from '../../../lambdas/domain/send.ts';
import { ROUTE_TIMEOUT_SECONDS } from '../../../lambdas/shared/config.ts';
import { annSend, caller, clock, groupChat, NOW, sent, stored, withChat } from './fakes.ts';

vi.mock('node:timers/promises', async () => {
  const { clock } = await import('./fakes.ts');
  return { setTimeout: (ms: number) => clock.sleep(ms) };
});

const ann = caller('ann');
const send = annSend;

describe('sendMessage: the happy path', () => {
  it('claims, allocates, stores, then tells the other sockets; the group sender cursor moves', async () => {
    const { deps, store, fanOut } = withChat({ memberVer: 3 });
    const { message, duplicate } = await sendMessage(deps, ann, send);
    expect(duplicate).toBe(false);
    expect(message).toMatchObject({
      seq: 5,
      ver: 9,
      senderId: 'ann',
      clientMessageId: 'cm-1',
      createdAt: NOW,
    });
    expect(store.claims.claim).toHaveBeenCalledWith(
      { chatId: 'g1', senderId: 'ann', clientMessageId: 'cm-1' },
      { claimedAt: clock.ms, token: expect.any(String) },
    );
    expect(store.sequence.allocate).toHaveBeenCalledWith(
      'g1',
      { memberVer: 3, sentAt: clock.ms, at: NOW, sentBy: undefined, trustsMirror: false },
      { abortSignal: expect.any(AbortSignal) },
    );
    expect(store.messages.put).toHaveBeenCalledWith(
      expect.objectContaining({
        seq: 5,
        ver: 9,
        allocAt: clock.ms,
        messageId: expect.stringMatching(/^m5_/),
      }),
      { abortSignal: expect.any(AbortSignal) },
    );
    expect(store.cursors.advance).toHaveBeenCalledWith('g1', 'ann', 5);
    expect(sent(fanOut)).toEqual([
      {
        userIds: ['ann', 'bob'],
        frame: { type: 'message.created', message },
        options: {
          excludeConnectionId: 'k-ann',
          chat: expect.objectContaining({ chatId: 'g1', kind: 'group' }),
          sockets: [{ userId: 'bob', connectionId: 'k-bob' }],
        },
      },
    ]);
    expect(fanOut.socketsOf).toHaveBeenCalledWith(['ann', 'bob'], {
      excludeConnectionId: 'k-ann',
      chat: expect.objectContaining({ chatId: 'g1', kind: 'group' }),
    });
  });

  it("folds a direct chat sender's read cursor into the allocation", async () => {
    const { deps, store } = withChat({ kind: 'direct', sentSeq: {} });
    await sendMessage(deps, ann, send);
    expect(store.sequence.allocate.mock.calls[0]?.[1]).toMatchObject({ sentBy: 'ann' });
    expect(store.cursors.advance).not.toHaveBeenCalled();
  });

  it('reads the chat head once per container: later sends allocate against the cache', async () => {
    const { deps, store } = withChat();
    await sendMessage(deps, ann, send);
    await sendMessage(deps, ann, { ...send, clientMessageId: 'cm-2' });
    await sendMessage(deps, caller('bob'), { ...send, clientMessageId: undefined });
    expect(store.chats.getWithMembers).toHaveBeenCalledTimes(1);
  });

  it('claims nothing without a clientMessageId', async () => {
    const { deps, store } = withChat();
    await sendMessage(deps, ann, { ...send, clientMessageId: undefined });
    expect(store.claims.claim).not.toHaveBeenCalled();
    expect(store.messages.put.mock.calls[0]?.[0]).toMatchObject({ clientMessageId: null });
  });

  it('still delivers when the sender cursor cannot move (answered INTERNAL: the retry moves it)', async () => {
    const { deps, store, fanOut } = withChat();
    store.cursors.advance.mockRejectedValue(new Error('throttled'));
    await expect(sendMessage(deps, ann, send)).rejects.toThrow('throttled');
    expect(fanOut.toUsers).toHaveBeenCalled();
  });
});

describe('sendMessage: refused input writes nothing', () => {
  it('answers NOT_FOUND to a non-member after a consistent read, its claim given back first', async () => {
    const { deps, store } = withChat({}, ['bob', 'cat']);
    await expect(sendMessage(deps, ann, send)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // The head once (eventually consistently), then her membership by key (strongly consistent):
    // the member list is not read again to refuse her.
    expect(store.chats.getWithMembers.mock.calls.map((c) => c[1])).toEqual([{ consistent: false }]);
    expect(store.chats.getMemberAndChat).toHaveBeenCalledWith('g1', 'ann');
    // The claim ran beside the head's read (it is not cached); the refusal gave it back.
    const token = store.claims.claim.mock.calls[0]?.[1].token;
    expect(store.claims.release).toHaveBeenCalledWith(
      { chatId: 'g1', senderId: 'ann', clientMessageId: 'cm-1' },
      token,
    );
    expect(store.sequence.allocate).not.toHaveBeenCalled();
    expect(store.messages.put).not.toHaveBeenCalled();
  });

  it("a non-member whose chat's head the container holds claims nothing in that chat", async () => {
    const { deps, store } = withChat({}, ['bob', 'cat']);
    await expect(sendMessage(deps, ann, send)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    store.claims.claim.mockClear();
    store.claims.release.mockClear();
    // The head is cached now, without ann: her next sends look her membership up (consistently, by
    // key) before any claim, and never read the member list again.
    await expect(sendMessage(deps, ann, { ...send, clientMessageId: 'cm-2' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(store.claims.claim).not.toHaveBeenCalled();
    expect(store.claims.release).not.toHaveBeenCalled();
    expect(store.chats.getMemberAndChat).toHaveBeenCalledTimes(2);
    expect(store.chats.getWithMembers).toHaveBeenCalledTimes(1);
  });

  it('a member who joined since the head was cached claims after its read, and sends', async () => {
    const { deps, store } = withChat({ memberVer: 2 });
    store.heads.remember('g1', groupChat('ann', ['bob'], { memberVer: 1 }));
    await expect(sendMessage(deps, ann, send)).resolves.toMatchObject({ duplicate: false });
    expect(store.claims.claim).toHaveBeenCalledTimes(1);
    expect(store.claims.claim.mock.invocationCallOrder[0]).toBeGreaterThan(
      store.chats.getWithMembers.mock.invocationCallOrder[0] ?? Infinity,
    );
  });

  it('claims beside the read of a head that is not cached: one round trip, not two', async () => {
    const { deps, store } = withChat();
    let headRead: (() => void) | undefined;
    const read = store.chats.getWithMembers.getMockImplementation();
    store.chats.getWithMembers.mockImplementationOnce(
      (...args: Parameters<NonNullable<typeof read>>) =>
        new Promise((resolve) => {
          headRead = () => resolve(read?.(...args) as never);
        }),
    );
    const sending = sendMessage(deps, ann, send);
    await vi.waitFor(() => expect(headRead).toBeDefined());
    expect(store.claims.claim).toHaveBeenCalledTimes(1); // already, while the head is being read
    headRead?.();
    await expect(sending).resolves.toMatchObject({ duplicate: false });
    expect(store.claims.release).not.toHaveBeenCalled();
  });

  it('a claim that finds a duplicate still waits for the head: a non-member gets NOT_FOUND', async () => {
    const { deps, store } = withChat({}, ['bob', 'cat']);
    store.claims.claim.mockResolvedValue({ status: 'taken', claim: { claimedAt: clock.ms, token: 't' } });
    store.messages.findByClientId.mockResolvedValue(stored(3));
    await expect(sendMessage(deps, ann, send)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(store.claims.release).not.toHaveBeenCalled(); // it claimed nothing
  });

  it('refuses a replyTo that names no message of this chat, giving back the claim made meanwhile', async () => {
    const { deps, store } = withChat();
    store.messages.get.mockResolvedValue(stored(1));
    await expect(sendMessage(deps, ann, { ...send, replyTo: newMessageId(1) })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    const token = store.claims.claim.mock.calls[0]?.[1].token;
    expect(store.claims.release).toHaveBeenCalledWith(
      { chatId: 'g1', senderId: 'ann', clientMessageId: 'cm-1' },
      token,
    );
    expect(store.sequence.allocate).not.toHaveBeenCalled();
  });

  it('gives the claim back when a stale cache let a removed member through (NOT_FOUND)', async () => {
    const { deps, store } = withChat({ memberVer: 1 });
    const removed = groupChat('bob', ['bob'], { memberVer: 2 });
    store.heads.remember('g1', groupChat('ann', ['ann', 'bob'], { memberVer: 1 }));
    store.sequence.allocate.mockResolvedValue({ status: 'members-changed', chat: removed.chat });
    store.chats.getWithMembers.mockResolvedValue(removed);
    await expect(sendMessage(deps, ann, send)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(store.messages.put).not.toHaveBeenCalled();
    const token = store.claims.claim.mock.calls[0]?.[1].token;
    expect(store.claims.release).toHaveBeenCalledWith(
      { chatId: 'g1', senderId: 'ann', clientMessageId: 'cm-1' },
      token,
    );
  });

  it('gives the claim back when the chat is gone', async () => {
    const { deps, store } = withChat();
    store.sequence.allocate.mockResolvedValue({ status: 'chat-gone' });
    await expect(sendMessage(deps, ann, send)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(store.claims.release).toHaveBeenCalled();
  });
});

describe('sendMessage: exactly once', () => {
  it('answers the stored original for a claimed clientMessageId, allocating nothing and telling nobody', async () => {
    const { deps, store, fanOut } = withChat();
    // Stored just now: the send that stored it may still be posting.
    const original = stored(2, { clientMessageId: 'cm-1', allocAt: clock.ms - 10 });
    store.claims.claim.mockResolvedValue({
      status: 'taken',
      claim: { claimedAt: clock.ms - 10, token: 't0' },
    });
    store.messages.findByClientId.mockResolvedValue(original);
    const result = await sendMessage(deps, ann, send);
    expect(result).toMatchObject({ duplicate: true, message: { messageId: original.messageId, seq: 2 } });
    expect(store.sequence.allocate).not.toHaveBeenCalled();
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });

  it('tells the members again when the invocation that stored it has ended (it may have died before its posts)', async () => {
    const { deps, store, fanOut } = withChat();
    const original = stored(2, { clientMessageId: 'cm-1', allocAt: clock.ms - ROUTE_TIMEOUT_SECONDS * 1000 });
    store.claims.claim.mockResolvedValue({
      status: 'taken',
      claim: { claimedAt: original.allocAt, token: 't0' },
    });
    store.messages.findByClientId.mockResolvedValue(original);
    const result = await sendMessage(deps, ann, send);
    expect(result).toMatchObject({ duplicate: true, message: { messageId: original.messageId } });
    expect(store.sequence.allocate).not.toHaveBeenCalled();
    expect(fanOut.toUsers).toHaveBeenCalledTimes(1);
    const [userIds, frame, options] = fanOut.toUsers.mock.calls[0] ?? [];
    expect(frame).toMatchObject({ type: 'message.created', message: { messageId: original.messageId } });
    expect(userIds).toContain('ann');
    expect(options).toMatchObject({ excludeConnectionId: send.connectionId });
  });
});
