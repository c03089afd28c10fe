/**
 * scheduleMessage's create and what it answers after it: a retry after sendAt, and the uploads of a
 * create whose fate is known (nothing stored: given back) or not (kept for the schedule).
 */
import { describe, expect, it } from 'vitest';
import { scheduledIdFor, scheduleMessage } from '../../../lambdas/domain/scheduled.ts';
import { NOW, PNG_HEAD, pendingUpload } from './fakes.ts';
import { ann, at, input, record, scheduledDeps } from './scheduled-fakes.ts';

const upload = pendingUpload('up_a');

/** Fake deps where ann's upload up_a is usable (its bytes as declared). */
function withUpload() {
  const fake = scheduledDeps();
  fake.store.uploads.getMany.mockResolvedValue(new Map([[upload.uploadId, upload]]));
  fake.media.probe.mockResolvedValue({
    status: 'present',
    size: 100,
    contentType: 'image/png',
    head: PNG_HEAD,
  });
  return fake;
}
const withAttachment = { ...input(at(60_000)), clientMessageId: 'c', attachments: [{ uploadId: 'up_a' }] };
const givenBack = (fake: ReturnType<typeof scheduledDeps>) =>
  fake.store.uploads.release.mock.calls.length + fake.media.markPending.mock.calls.length;

describe('scheduleMessage, after sendAt', () => {
  it('answers a retry that comes after sendAt with the schedule made the first time; refuses a new id', async () => {
    const retry = scheduledDeps();
    const id = scheduledIdFor('ann', 'g1', 'c');
    const first = record({ scheduledId: id, clientMessageId: 'c', status: 'sent', sendAt: at(-1000) });
    retry.store.scheduled.get.mockResolvedValue(first);
    const answer = await scheduleMessage(retry.deps, ann, { ...input(at(-1000)), clientMessageId: 'c' });
    expect(answer.scheduled).toMatchObject({ scheduledId: id, status: 'sent', sendAt: at(-1000) });
    expect(retry.store.scheduled.get).toHaveBeenCalledWith('ann', id, { consistent: true });
    expect(retry.store.scheduled.create).not.toHaveBeenCalled();
    expect(retry.fanOut.toUsers).not.toHaveBeenCalled();

    for (const clientMessageId of ['new', undefined]) {
      const fresh = scheduledDeps();
      await expect(
        scheduleMessage(fresh.deps, ann, { ...input(at(-1000)), clientMessageId }),
      ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('"sendAt"') });
      expect(fresh.store.scheduled.create).not.toHaveBeenCalled();
      expect(fresh.store.uploads.claim).not.toHaveBeenCalled();
    }
  });
});

describe('scheduleMessage, the uploads of a create that did not answer "created"', () => {
  it('keeps them claimed when the create failed without an answer (it may have been stored)', async () => {
    const fake = withUpload();
    fake.store.scheduled.create.mockRejectedValue(
      Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }),
    );
    await expect(scheduleMessage(fake.deps, ann, withAttachment)).rejects.toThrow('socket hang up');
    expect(fake.store.uploads.claim).toHaveBeenCalledTimes(1);
    expect(givenBack(fake)).toBe(0);
  });

  it('gives them back when other transactions kept a schedule without clientMessageId from being stored (CONFLICT)', async () => {
    const fake = withUpload();
    fake.store.scheduled.create.mockResolvedValue({ status: 'busy' });
    const once = { ...withAttachment, clientMessageId: undefined };
    await expect(scheduleMessage(fake.deps, ann, once)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(fake.store.uploads.release).toHaveBeenCalledWith(
      'g1',
      ['up_a'],
      expect.any(String),
      new Date(NOW),
    );
    expect(fake.fanOut.toUsers).not.toHaveBeenCalled();
  });

  it('keeps them claimed (CONFLICT) when busy with a clientMessageId and no schedule is there yet', async () => {
    const fake = withUpload();
    fake.store.scheduled.create.mockResolvedValue({ status: 'busy' });
    await expect(scheduleMessage(fake.deps, ann, withAttachment)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(fake.store.scheduled.get).toHaveBeenCalledWith('ann', scheduledIdFor('ann', 'g1', 'c'), {
      consistent: true,
    });
    expect(givenBack(fake)).toBe(0);
  });

  it('keeps them, and answers with it, when an identical request stored the schedule meanwhile', async () => {
    const fake = withUpload();
    const id = scheduledIdFor('ann', 'g1', 'c');
    const attachments = [
      { attachmentId: 'up_a', kind: 'image', contentType: 'image/png', size: 100, fileName: null },
    ] as const;
    const stored = record({
      scheduledId: id,
      clientMessageId: 'c',
      sendAt: at(60_000),
      attachments: [...attachments],
    });
    fake.store.scheduled.create.mockResolvedValue({ status: 'busy' });
    fake.store.scheduled.get.mockResolvedValue(stored);
    const { scheduled } = await scheduleMessage(fake.deps, ann, withAttachment);
    expect(scheduled).toMatchObject({ scheduledId: id, status: 'pending' });
    expect(fake.store.scheduled.get).toHaveBeenCalledWith('ann', id, { consistent: true });
    expect(givenBack(fake)).toBe(0);
  });
});

describe('scheduleMessage, a duplicate of a finished schedule', () => {
  /** What is kept of a finished one: no text, no attachments, their ids only. */
  const finished = (status: 'sent' | 'cancelled', attachmentIds: string[]) => ({
    scheduledId: scheduledIdFor('ann', 'g1', 'c'),
    userId: 'ann',
    chatId: 'g1',
    replyTo: null,
    attachmentIds,
    clientMessageId: 'c',
    sendAt: at(60_000),
    status,
    messageId: status === 'sent' ? 'm1_x' : null,
    reason: null,
    createdAt: at(-60_000),
    attempts: status === 'sent' ? 1 : 0,
  });

  it('answers with it, without text or attachments, and never gives back the uploads a sent one carried', async () => {
    const fake = withUpload();
    fake.store.scheduled.create.mockResolvedValue({
      status: 'duplicate',
      existing: finished('sent', ['up_a']),
    });
    const { scheduled } = await scheduleMessage(fake.deps, ann, withAttachment);
    expect(scheduled).toMatchObject({ status: 'sent', messageId: 'm1_x', text: '', attachments: [] });
    expect(givenBack(fake)).toBe(0);
  });

  it('gives back what the repeat claimed when the first one was cancelled', async () => {
    const fake = withUpload();
    fake.store.scheduled.create.mockResolvedValue({
      status: 'duplicate',
      existing: finished('cancelled', []),
    });
    const { scheduled } = await scheduleMessage(fake.deps, ann, withAttachment);
    expect(scheduled).toMatchObject({ status: 'cancelled', text: '', attachments: [] });
    expect(fake.store.uploads.release).toHaveBeenCalledWith(
      'g1',
      ['up_a'],
      expect.anything(),
      expect.anything(),
    );
  });
});
