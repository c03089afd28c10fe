/**
 * Media in sendMessage, requestUpload, getAttachmentUrl, deleteMessage and deleteChat over mocked
 * repositories and a mocked bucket: claims come after every other check, and the bytes go before the
 * records they belong to.
 */
import { describe, expect, it, vi } from 'vitest';
import { deleteChat } from '../../../lambdas/domain/chats.ts';
import { newMessageId } from '../../../lambdas/domain/ids.ts';
import { getAttachmentUrl } from '../../../lambdas/domain/media.ts';
import { deleteMessage } from '../../../lambdas/domain/messages.ts';
import { sendMessage } from '../../../lambdas/domain/send.ts';
import { requestUpload } from '../../../lambdas/domain/upload-request.ts';
import { caller, fakeDeps, groupChat, memberAndChat, NOW, pendingUpload, stored } from './fakes.ts';
import { withUploads } from './media-fakes.ts';

const ann = caller('ann');

const upload = pendingUpload;
describe('sendMessage with attachments', () => {
  it('claims after every other check and stores the attachments on the message', async () => {
    const fake = withUploads(upload('up_a'));
    fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    const { message } = await sendMessage(fake.deps, ann, {
      chatId: 'g1',
      text: '',
      attachments: [{ uploadId: 'up_a' }],
      connectionId: 'k',
    });
    expect(fake.store.messages.put).toHaveBeenCalledWith(
      expect.objectContaining({ attachments: [expect.objectContaining({ attachmentId: 'up_a' })] }),
      expect.anything(),
    );
    expect(message.attachments).toEqual([
      expect.objectContaining({
        attachmentId: 'up_a',
        url: 'https://s3/chats/g1/up_a?get',
        urlExpiresAt: NOW,
      }),
    ]);
  });

  it('claims nothing when replyTo is wrong', async () => {
    const fake = withUploads(upload('up_a'));
    fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    await expect(
      sendMessage(fake.deps, ann, {
        chatId: 'g1',
        text: '',
        replyTo: 'm1_AAAAAAAAAAAA',
        attachments: [{ uploadId: 'up_a' }],
        connectionId: 'k',
      }),
    ).rejects.toThrow(/replyTo/);
    expect(fake.store.uploads.claim).not.toHaveBeenCalled();
  });

  it('claims the uploads before the clientMessageId: a refused upload leaves nothing written', async () => {
    const refused = async (clientMessageId?: string) => {
      const fake = withUploads(upload('up_a', { status: 'used', usedBy: 'cmid:other' }));
      fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
      const send = { chatId: 'g1', text: '', attachments: [{ uploadId: 'up_a' }], connectionId: 'k' };
      await expect(sendMessage(fake.deps, ann, { ...send, clientMessageId })).rejects.toThrow(
        /already sent in another message/,
      );
      expect(fake.store.uploads.claim).not.toHaveBeenCalled();
      expect(fake.store.sequence.allocate).not.toHaveBeenCalled();
      expect(fake.store.messages.put).not.toHaveBeenCalled();
      return fake;
    };
    expect((await refused()).store.claims.claim).not.toHaveBeenCalled();
    // With a clientMessageId, its claim looks for a message it stored (none here), and is given back.
    const fake = await refused('cm-1');
    expect(fake.store.claims.claim).toHaveBeenCalledTimes(1);
    expect(fake.store.claims.release).toHaveBeenCalledTimes(1);
  });

  it('answers a retry of a stored send with its message (its uploads are bound to that send)', async () => {
    const fake = withUploads(upload('up_a', { status: 'used', usedBy: 'cmid:cm-1' }));
    fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    const original = stored(4, {
      senderId: 'ann',
      clientMessageId: 'cm-1',
      attachments: [
        { attachmentId: 'up_a', kind: 'image', contentType: 'image/png', size: 100, fileName: null },
      ],
    });
    fake.store.claims.claim.mockResolvedValue({ status: 'taken', claim: { claimedAt: 0, token: 't' } });
    fake.store.messages.findByClientId.mockResolvedValue(original);
    const { message, duplicate } = await sendMessage(fake.deps, ann, {
      chatId: 'g1',
      text: '',
      clientMessageId: 'cm-1',
      attachments: [{ uploadId: 'up_a' }],
      connectionId: 'k',
    });
    expect(duplicate).toBe(true);
    expect(message.attachments).toEqual([expect.objectContaining({ url: 'https://s3/chats/g1/up_a?get' })]);
    expect(fake.store.uploads.claim).toHaveBeenCalledWith(
      expect.anything(),
      'ann',
      'cmid:cm-1',
      new Date(NOW),
      { token: expect.any(String) },
    );
    expect(fake.store.sequence.allocate).not.toHaveBeenCalled();
  });

  it('gives back the uploads of a send without clientMessageId refused at the allocation', async () => {
    const fake = withUploads(upload('up_a'), upload('up_b'));
    fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    // A block that landed after the check: the allocation refuses, nothing is stored.
    fake.store.sequence.allocate.mockResolvedValue({ status: 'blocked' } as never);
    const send = { chatId: 'g1', text: '', attachments: [{ uploadId: 'up_a' }, { uploadId: 'up_b' }] };
    await expect(sendMessage(fake.deps, ann, { ...send, connectionId: 'k' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    const holder = fake.store.uploads.claim.mock.calls[0]?.[2];
    expect(holder).toMatch(/^once:/);
    expectGivenBack(fake, holder, ['up_a', 'up_b']);
    expect(fake.store.messages.put).not.toHaveBeenCalled();
  });

  it('gives back the uploads a send with a clientMessageId took from pending, refused at the allocation', async () => {
    const fake = withUploads(upload('up_a'));
    fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    fake.store.sequence.allocate.mockResolvedValue({ status: 'blocked' } as never);
    const send = { chatId: 'g1', text: '', clientMessageId: 'cm-1', attachments: [{ uploadId: 'up_a' }] };
    await expect(sendMessage(fake.deps, ann, { ...send, connectionId: 'k' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(fake.store.claims.release).toHaveBeenCalled();
    expectGivenBack(fake, 'cmid:cm-1', ['up_a']);
  });

  it('keeps the uploads a retry (or a scheduled message) held already, or that a retry claimed since', async () => {
    const send = { chatId: 'g1', text: '', clientMessageId: 'cm-1', attachments: [{ uploadId: 'up_a' }] };
    const refused = async (fake: ReturnType<typeof withUploads>) => {
      fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
      fake.store.sequence.allocate.mockResolvedValue({ status: 'blocked' } as never);
      await expect(sendMessage(fake.deps, ann, { ...send, connectionId: 'k' })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      expect(fake.media.markPending).not.toHaveBeenCalled();
      expect(fake.store.uploads.release).not.toHaveBeenCalled();
    };
    // Read as held by this send already: another attempt of it holds them too.
    const held = withUploads(upload('up_a', { status: 'used', usedBy: 'cmid:cm-1' }));
    await refused(held);
    expect(held.store.uploads.handOver).not.toHaveBeenCalled();
    // Taken from pending, but a retry of it claimed them since (the hand-over's condition fails).
    const since = withUploads(upload('up_a'));
    since.store.uploads.handOver.mockResolvedValue(false);
    await refused(since);
    expect(since.store.uploads.handOver).toHaveBeenCalledTimes(1);
  });
});

/**
 * The uploads `ids` were given back by the attempt that claimed them for `usedBy`: each handed over
 * (on that attempt's claim token) to a one-off holder, re-tagged pending, then released by it.
 */
function expectGivenBack(fake: ReturnType<typeof withUploads>, usedBy: string | undefined, ids: string[]) {
  const token = fake.store.uploads.claim.mock.calls[0]?.[4]?.token;
  expect(token).toEqual(expect.any(String));
  const handed = fake.store.uploads.handOver.mock.calls;
  expect(handed.map(([u, from]) => [u.uploadId, from]).sort()).toEqual(
    ids.map((id) => [id, { usedBy, token, fresh: true }]),
  );
  const holder = handed[0]?.[2];
  expect(holder).toMatch(/^untag:/);
  expect(fake.media.markPending.mock.calls.map((c) => c[0]).sort()).toEqual(
    ids.map((id) => `chats/g1/${id}`),
  );
  expect(fake.store.uploads.release.mock.calls.map((c) => [c[1], c[2]]).sort()).toEqual(
    ids.map((id) => [[id], holder]),
  );
  const order = (mock: { mock: { invocationCallOrder: number[] } }) => mock.mock.invocationCallOrder;
  for (const [i, released] of order(fake.store.uploads.release).entries()) {
    expect(released).toBeGreaterThan(order(fake.media.markPending)[i] ?? Infinity);
    expect(order(fake.media.markPending)[i]).toBeGreaterThan(
      order(fake.store.uploads.handOver)[i] ?? Infinity,
    );
  }
}

describe('the other media actions', () => {
  it('requestUpload refuses a non-member and stores nothing', async () => {
    const fake = fakeDeps();
    await expect(
      requestUpload(fake.deps, ann, { chatId: 'g1', contentType: 'image/png', size: 9, fileName: undefined }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(fake.store.uploads.create).not.toHaveBeenCalled();
    expect(fake.media.uploadUrl).not.toHaveBeenCalled();
  });

  it('getAttachmentUrl is NOT_FOUND for a deleted message', async () => {
    const fake = fakeDeps();
    const messageId = newMessageId(3);
    fake.store.chats.getMemberAndChat.mockResolvedValue(memberAndChat());
    fake.store.messages.get.mockResolvedValue({
      chatId: 'g1',
      messageId,
      seq: 3,
      senderId: 'ann',
      text: '',
      replyTo: null,
      clientMessageId: null,
      createdAt: NOW,
      editedAt: null,
      deleted: true,
      ver: 3,
      allocAt: 0,
      attachments: [
        { attachmentId: 'up_a', kind: 'image', contentType: 'image/png', size: 1, fileName: null },
      ],
    });
    await expect(
      getAttachmentUrl(fake.deps, ann, { chatId: 'g1', messageId, attachmentId: 'up_a' }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('deleteMessage deletes the bytes before the message, and nothing when that fails', async () => {
    const fake = fakeDeps();
    const messageId = newMessageId(3);
    fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    fake.store.messages.get.mockResolvedValue({
      chatId: 'g1',
      messageId,
      seq: 3,
      senderId: 'ann',
      text: '',
      replyTo: null,
      clientMessageId: null,
      createdAt: NOW,
      editedAt: null,
      deleted: false,
      ver: 3,
      allocAt: 0,
      attachments: [
        { attachmentId: 'up_a', kind: 'image', contentType: 'image/png', size: 1, fileName: null },
      ],
    });
    fake.media.delete.mockRejectedValueOnce(new Error('S3 down'));
    await expect(deleteMessage(fake.deps, ann, { chatId: 'g1', messageId })).rejects.toThrow('S3 down');
    expect(fake.store.sequence.allocateVersion).not.toHaveBeenCalled();
    expect(fake.store.messages.applyChange).not.toHaveBeenCalled();
    // Its record keeps no TTL while its object may still be there: it names it to a retry.
    expect(fake.store.uploads.expireDeleted).not.toHaveBeenCalled();
    await deleteMessage(fake.deps, ann, { chatId: 'g1', messageId });
    // Its upload is marked deleted (never claimable again) before its bytes go, and given its TTL after.
    expect(fake.store.uploads.markDeleted).toHaveBeenLastCalledWith('g1', ['up_a']);
    expect(fake.store.uploads.markDeleted.mock.invocationCallOrder.at(-1)).toBeLessThan(
      fake.media.delete.mock.invocationCallOrder.at(-1) ?? 0,
    );
    expect(fake.media.delete).toHaveBeenLastCalledWith(['chats/g1/up_a']);
    expect(fake.store.uploads.expireDeleted).toHaveBeenCalledWith('g1', ['up_a'], new Date(NOW));
    expect(fake.media.delete.mock.invocationCallOrder.at(-1)).toBeLessThan(
      fake.store.uploads.expireDeleted.mock.invocationCallOrder.at(-1) ?? 0,
    );
    expect(fake.store.messages.applyChange).toHaveBeenCalledTimes(1);
    expect(fake.store.messages.applyChange.mock.calls[0]?.[1].set).toEqual({
      text: '',
      deleted: true,
      attachments: [],
    });
  });

  it('deleteChat leaves the objects to the retention job when it is queued', async () => {
    const fake = fakeDeps();
    fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    const retentionQueue = { send: vi.fn(async () => undefined) };
    await deleteChat({ ...fake.deps, retentionQueue }, ann, { chatId: 'g1' });
    // Its finish job (before the mark), then its retention job.
    expect(retentionQueue.send).toHaveBeenCalledTimes(2);
    expect(fake.media.delete).not.toHaveBeenCalled();
    expect(fake.store.chats.deleteOwnerAndPointer).toHaveBeenCalledTimes(1);
    expect(fake.store.chats.deleteMeta).toHaveBeenCalledWith('g1');
  });
});
