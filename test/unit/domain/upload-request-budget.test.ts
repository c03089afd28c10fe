/**
 * requestUpload's charge to the daily upload budget over mocked repositories: a charge whose upload
 * record was not written (a throttled or failed create, a failed signing) is given back in the window
 * it was charged to, so a client's retry is not charged twice; a refund that fails is logged and the
 * request's own error is the one answered. Past the budget: BAD_REQUEST naming `size`, the bytes left
 * and when the budget renews, never RATE_LIMITED (the client would hold every later upload).
 */
import { describe, expect, it } from 'vitest';
import { requestUpload } from '../../../lambdas/domain/upload-request.ts';
import { ChatError } from '../../../lambdas/shared/errors.ts';
import { caller, fakeDeps, memberAndChat, NOW } from './fakes.ts';

const ann = caller('ann');
const MIB = 1024 * 1024;
const input = { chatId: 'g1', contentType: 'image/png', size: 5 * MIB, fileName: undefined };

function member() {
  const fake = fakeDeps();
  fake.store.chats.getMemberAndChat.mockResolvedValue(memberAndChat());
  fake.store.budgets.charge.mockResolvedValue({ kind: 'charged', windowStart: 1234 });
  return fake;
}

describe('requestUpload and the upload budget', () => {
  it('gives the charge back when the upload record was not written, and answers the write error', async () => {
    const fake = member();
    const throttled = new ChatError('RATE_LIMITED', 'throttled', { retryAfterMs: 100 });
    fake.store.uploads.create.mockRejectedValue(throttled);
    await expect(requestUpload(fake.deps, ann, input)).rejects.toBe(throttled);
    expect(fake.store.budgets.refund).toHaveBeenCalledWith('ann', 'UPLOAD_BYTES', 5 * MIB, 1234);
  });

  it('gives the charge back when signing fails, before any record', async () => {
    const fake = member();
    fake.media.uploadUrl.mockRejectedValue(new Error('no credentials'));
    await expect(requestUpload(fake.deps, ann, input)).rejects.toThrow('no credentials');
    expect(fake.store.uploads.create).not.toHaveBeenCalled();
    expect(fake.store.budgets.refund).toHaveBeenCalledWith('ann', 'UPLOAD_BYTES', 5 * MIB, 1234);
  });

  it('answers the write error even when the refund fails too (best effort)', async () => {
    const fake = member();
    fake.store.uploads.create.mockRejectedValue(new Error('table down'));
    fake.store.budgets.refund.mockRejectedValue(new Error('still down'));
    await expect(requestUpload(fake.deps, ann, input)).rejects.toThrow('table down');
  });

  it('keeps the charge of an upload stored', async () => {
    const fake = member();
    await requestUpload(fake.deps, ann, input);
    expect(fake.store.uploads.create).toHaveBeenCalled();
    expect(fake.store.budgets.refund).not.toHaveBeenCalled();
  });

  it('past the budget: BAD_REQUEST naming size, what is left and when it renews; stores nothing', async () => {
    const fake = member();
    const max = 2048 * MIB;
    fake.store.budgets.charge.mockResolvedValue({
      kind: 'over',
      used: max - 12 * MIB,
      retryAfterMs: 3_600_000,
    });
    const refused = requestUpload(fake.deps, ann, { ...input, size: 200 * MIB });
    const renewsAt = new Date(Date.parse(NOW) + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await expect(refused).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: `"size": 200 MB is more than the 12 MB left of today's upload budget (2048 MB a day, renews at ${renewsAt}).`,
    });
    expect(fake.store.uploads.create).not.toHaveBeenCalled();
    expect(fake.media.uploadUrl).not.toHaveBeenCalled();
  });
});
