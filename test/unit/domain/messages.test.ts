/** Message decisions of the domain: changes under versions and authorship (read-typing.test.ts: read cursors, typing). */
import { describe, expect, it, vi } from 'vitest';
import { newMessageId } from '../../../lambdas/domain/ids.ts';
import { LIMITS } from '../../../lambdas/domain/limits.ts';
import { deleteMessage, editMessage } from '../../../lambdas/domain/messages.ts';
import { writeTiming } from '../../../lambdas/domain/timing.ts';
import { caller, clock, NOW, sent, stored, withChat } from './fakes.ts';

vi.mock('node:timers/promises', async () => {
  const { clock } = await import('./fakes.ts');
  return { setTimeout: (ms: number) => clock.sleep(ms) };
});

const ann = caller('ann');

describe('administrators', () => {
  const root = { ...caller('root'), admin: true };

  it('record a deletion as soon as it is done: a failed post afterwards cannot leave it unrecorded', async () => {
    const { deps, store, fanOut } = withChat();
    const message = stored(3, { senderId: 'bob' });
    store.messages.get.mockResolvedValue(message);
    store.sequence.allocateVersion.mockResolvedValue({ status: 'allocated', ver: 21 });
    store.messages.applyChange.mockImplementation(async (_m, change) => ({
      status: 'applied',
      message: { ...message, ...change.set, ver: change.ver },
    }));
    fanOut.toUsers.mockRejectedValue(new Error('throttled'));
    await expect(deleteMessage(deps, root, { chatId: 'g1', messageId: message.messageId })).rejects.toThrow(
      'throttled',
    );
    expect(store.audit.record).toHaveBeenCalledWith(
      expect.objectContaining({ action: 'deleteMessage', actorId: 'root', messageId: message.messageId }),
    );
  });
});

describe('changes under versions', () => {
  it('edits under a new version and tells every member with the changed message', async () => {
    const { deps, store, fanOut } = withChat();
    const message = stored(3);
    store.messages.get.mockResolvedValue(message);
    store.sequence.allocateVersion.mockResolvedValue({ status: 'allocated', ver: 21 });
    store.messages.applyChange.mockImplementation(async (_m, change) => ({
      status: 'applied',
      message: { ...message, ...change.set, ver: change.ver, allocAt: change.allocAt },
    }));
    const { message: edited } = await editMessage(deps, ann, {
      chatId: 'g1',
      messageId: message.messageId,
      text: 'new',
    });
    expect(edited).toMatchObject({ text: 'new', ver: 21, editedAt: NOW });
    expect(store.messages.applyChange).toHaveBeenCalledWith(
      message,
      { set: { text: 'new', editedAt: NOW }, guard: 'author', ver: 21, allocAt: clock.ms },
      { abortSignal: expect.any(AbortSignal) },
    );
    expect(sent(fanOut)[0]?.frame).toEqual({ type: 'message.updated', message: edited });
  });

  it('allocates again while a transaction holds the chat head (a report in flight), then CONFLICT', async () => {
    const { deps, store } = withChat();
    const message = stored(3);
    store.messages.get.mockResolvedValue(message);
    store.sequence.allocateVersion
      .mockResolvedValueOnce({ status: 'held' })
      .mockResolvedValueOnce({ status: 'held' })
      .mockResolvedValueOnce({ status: 'allocated', ver: 21 });
    store.messages.applyChange.mockImplementation(async (_m, change) => ({
      status: 'applied',
      message: { ...message, ...change.set, ver: change.ver },
    }));
    const input = { chatId: 'g1', messageId: message.messageId, text: 'mine' };
    await expect(editMessage(deps, ann, input)).resolves.toMatchObject({ message: { ver: 21 } });
    expect(store.sequence.allocateVersion).toHaveBeenCalledTimes(3);
    // Held for longer than the attempts: CONFLICT ("busy", which clients retry), not INTERNAL.
    store.sequence.allocateVersion.mockReset().mockResolvedValue({ status: 'held' });
    await expect(editMessage(deps, ann, input)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(store.sequence.allocateVersion).toHaveBeenCalledTimes(LIMITS.sendAttempts);
  });

  it('applies the change on top of a newer one that won the race, under a fresh version', async () => {
    const { deps, store } = withChat();
    const message = stored(3);
    const newer = { ...message, text: 'other socket', ver: 22 };
    store.messages.get.mockResolvedValue(message);
    store.sequence.allocateVersion
      .mockResolvedValueOnce({ status: 'allocated', ver: 21 })
      .mockResolvedValueOnce({ status: 'allocated', ver: 23 });
    store.messages.applyChange
      .mockResolvedValueOnce({ status: 'refused', current: newer })
      .mockResolvedValueOnce({ status: 'applied', message: { ...newer, text: 'mine', ver: 23 } });
    const { message: edited } = await editMessage(deps, ann, {
      chatId: 'g1',
      messageId: message.messageId,
      text: 'mine',
    });
    expect(edited).toMatchObject({ text: 'mine', ver: 23 });
    expect(store.messages.applyChange.mock.calls[1]?.[0]).toBe(newer);
  });

  it('gives an edit that lands on top of a newer edit an editedAt after it (clients keep the newest)', async () => {
    const { deps, store } = withChat();
    const message = stored(3);
    const later = new Date(clock.ms + 5).toISOString(); // the other socket's edit, stamped after ours
    const newer = { ...message, text: 'other socket', ver: 22, editedAt: later };
    store.messages.get.mockResolvedValue(message);
    store.sequence.allocateVersion
      .mockResolvedValueOnce({ status: 'allocated', ver: 21 })
      .mockResolvedValueOnce({ status: 'allocated', ver: 23 });
    store.messages.applyChange
      .mockResolvedValueOnce({ status: 'refused', current: newer })
      .mockImplementationOnce(async (_m, change) => ({
        status: 'applied',
        message: { ...newer, ...change.set, ver: change.ver },
      }));
    await editMessage(deps, ann, { chatId: 'g1', messageId: message.messageId, text: 'mine' });
    expect(store.messages.applyChange.mock.calls[0]?.[1].set).toEqual({ text: 'mine', editedAt: NOW });
    expect(store.messages.applyChange.mock.calls[1]?.[1].set).toEqual({
      text: 'mine',
      editedAt: new Date(clock.ms + 6).toISOString(),
    });
  });

  it('sends no change after its write deadline: the late version is given up, a fresh one used', async () => {
    const { deps, store } = withChat();
    const message = stored(3);
    store.messages.get.mockResolvedValue(message);
    store.sequence.allocateVersion
      .mockImplementationOnce(async () => {
        clock.advance(writeTiming().writeDeadlineMs);
        return { status: 'allocated', ver: 21 };
      })
      .mockResolvedValueOnce({ status: 'allocated', ver: 22 });
    store.messages.applyChange.mockResolvedValue({ status: 'applied', message: { ...message, ver: 22 } });
    await editMessage(deps, ann, { chatId: 'g1', messageId: message.messageId, text: 'x' });
    expect(store.messages.applyChange).toHaveBeenCalledTimes(1);
    expect(store.messages.applyChange.mock.calls[0]?.[1]).toMatchObject({ ver: 22 });
  });

  it('counts an aborted change that landed in time as applied', async () => {
    const { deps, store, fanOut } = withChat();
    const message = stored(3);
    store.messages.get
      .mockResolvedValueOnce(message)
      .mockResolvedValueOnce({ ...message, text: 'x', ver: 9 });
    store.messages.applyChange.mockRejectedValue(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    const { message: edited } = await editMessage(deps, ann, {
      chatId: 'g1',
      messageId: message.messageId,
      text: 'x',
    });
    expect(edited).toMatchObject({ text: 'x', ver: 9 });
    expect(store.sequence.allocateVersion).toHaveBeenCalledTimes(1);
    expect(fanOut.toUsers).toHaveBeenCalledTimes(1);
  });

  it('gives up after the bounded attempts (INTERNAL)', async () => {
    const { deps, store } = withChat();
    const message = stored(3);
    store.messages.get.mockResolvedValue(message);
    store.messages.applyChange.mockResolvedValue({ status: 'refused', current: { ...message, ver: 99 } });
    await expect(
      editMessage(deps, ann, { chatId: 'g1', messageId: message.messageId, text: 'x' }),
    ).rejects.toThrow();
    expect(store.messages.applyChange).toHaveBeenCalledTimes(LIMITS.changeAttempts);
  });

  it('tells every member of a deletion with the version it took', async () => {
    const { deps, store, fanOut } = withChat();
    const message = stored(3);
    store.messages.get.mockResolvedValue(message);
    store.messages.applyChange.mockResolvedValue({
      status: 'applied',
      message: { ...message, deleted: true, text: '', ver: 9 },
    });
    await deleteMessage(deps, ann, { chatId: 'g1', messageId: message.messageId });
    expect(store.messages.applyChange.mock.calls[0]?.[1]).toMatchObject({ set: { text: '', deleted: true } });
    expect(sent(fanOut)[0]?.frame).toEqual({
      type: 'message.deleted',
      chatId: 'g1',
      messageId: message.messageId,
      seq: 3,
      ver: 9,
    });
  });
});

describe('editing and deleting', () => {
  it.each([
    ['someone else’s message', stored(3, { senderId: 'bob' }), 'FORBIDDEN'],
    ['a deleted message', stored(3, { deleted: true }), 'CONFLICT'],
  ])('refuses editing %s', async (_case, message, code) => {
    const { deps, store } = withChat();
    store.messages.get.mockResolvedValue(message);
    const input = { chatId: 'g1', messageId: message.messageId, text: 'new' };
    await expect(editMessage(deps, ann, input)).rejects.toMatchObject({ code });
    expect(store.messages.applyChange).not.toHaveBeenCalled();
  });

  it('answers NOT_FOUND for an id whose seq holds another message', async () => {
    const { deps, store } = withChat();
    store.messages.get.mockResolvedValue(stored(3));
    const input = { chatId: 'g1', messageId: newMessageId(3), text: 'new' };
    await expect(editMessage(deps, ann, input)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('answers CONFLICT when the message was deleted between the read and the edit', async () => {
    const { deps, store } = withChat();
    const message = stored(3);
    store.messages.get.mockResolvedValue(message);
    store.messages.applyChange.mockResolvedValue({
      status: 'refused',
      current: { ...message, deleted: true },
    });
    const input = { chatId: 'g1', messageId: message.messageId, text: 'new' };
    await expect(editMessage(deps, ann, input)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('acks deleting an already deleted message without telling anyone again', async () => {
    const { deps, store, fanOut } = withChat();
    const message = stored(3, { deleted: true, text: '' });
    store.messages.get.mockResolvedValue(message);
    await expect(deleteMessage(deps, ann, { chatId: 'g1', messageId: message.messageId })).resolves.toEqual({
      chatId: 'g1',
      messageId: message.messageId,
    });
    expect(store.messages.applyChange).not.toHaveBeenCalled();
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });
});
