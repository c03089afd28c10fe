/**
 * `giveBackUnstored` (upload-holds.ts), through a send refused at the allocation, over mocked
 * repositories and a mocked bucket: an upload is released only once its object is tagged pending
 * again. Before, a failed tagging released it anyway: pending, with a TTL, its object still tagged
 * attached (which the lifecycle rule never removes), so the record expired and the bytes stayed for
 * good, named by nothing.
 */
import { describe, expect, it } from 'vitest';
import { sendMessage } from '../../../lambdas/domain/send.ts';
import { caller, groupChat, pendingUpload } from './fakes.ts';
import { withUploads } from './media-fakes.ts';

describe('giving back the uploads of a send that stored nothing', () => {
  it('keeps an upload claimed and attached when its pending tag cannot be put back', async () => {
    const fake = withUploads(pendingUpload('up_a'), pendingUpload('up_b'));
    fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    // A block that landed after the check: the allocation refuses, nothing is stored.
    fake.store.sequence.allocate.mockResolvedValue({ status: 'blocked' } as never);
    fake.media.markPending.mockImplementation(async (key: string) => {
      if (key.endsWith('/up_a')) throw Object.assign(new Error('SlowDown'), { name: 'SlowDown' });
      return 'tagged';
    });
    await expect(
      sendMessage(fake.deps, caller('ann'), {
        chatId: 'g1',
        text: '',
        clientMessageId: 'cm-1',
        attachments: [{ uploadId: 'up_a' }, { uploadId: 'up_b' }],
        connectionId: 'k',
      }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(fake.store.uploads.handOver.mock.calls.map(([u]) => u.uploadId).sort()).toEqual(['up_a', 'up_b']);
    expect(fake.media.markPending.mock.calls.map(([key]) => key).sort()).toEqual([
      'chats/g1/up_a',
      'chats/g1/up_b',
    ]);
    // up_b, tagged pending, is released; up_a stays held by the one-off holder, tagged attached.
    expect(fake.store.uploads.release.mock.calls.map(([, ids]) => ids)).toEqual([['up_b']]);
  });
});
