/**
 * Media decisions of the domain over mocked repositories and a mocked bucket: what is checked before
 * anything changes, in which order the uploads are tagged and claimed, what a retry of the same send
 * may do, and that the bytes go before the records they belong to.
 */
import { describe, expect, it, vi } from 'vitest';
import type { UploadRecord } from '../../../lambdas/data/store.ts';
import { deleteChat } from '../../../lambdas/domain/chats.ts';
import { newMessageId } from '../../../lambdas/domain/ids.ts';
import { claimUploads, getAttachmentUrl } from '../../../lambdas/domain/media.ts';
import { deleteMessage } from '../../../lambdas/domain/messages.ts';
import { sendMessage } from '../../../lambdas/domain/send.ts';
import { requestUpload } from '../../../lambdas/domain/upload-request.ts';
import { caller, fakeDeps, groupChat, memberAndChat, NOW, PNG_HEAD, pendingUpload, stored } from './fakes.ts';

const ann = caller('ann');

const upload = pendingUpload;

function withUploads(...uploads: UploadRecord[]) {
  const fake = fakeDeps();
  fake.store.uploads.getMany.mockResolvedValue(new Map(uploads.map((u) => [u.uploadId, u])));
  fake.media.probe.mockResolvedValue({
    status: 'present',
    size: 100,
    contentType: 'image/png',
    head: PNG_HEAD,
  });
  return fake;
}

const claim = (fake: ReturnType<typeof fakeDeps>, ids: string[], cmid?: string) =>
  claimUploads(
    fake.deps,
    ann,
    'g1',
    ids.map((uploadId) => ({ uploadId })),
    cmid,
  );

describe('claimUploads', () => {
  it('verifies, tags, then claims, and returns what the message stores', async () => {
    const fake = withUploads(upload('up_a', { fileName: 'a.png' }));
    const order: string[] = [];
    fake.media.probe.mockImplementation(async () => {
      order.push('probe');
      return { status: 'present', size: 100, contentType: 'image/png', head: PNG_HEAD };
    });
    fake.media.markAttached.mockImplementation(async () => {
      order.push('tag');
      return 'tagged';
    });
    fake.store.uploads.claim.mockImplementation(async () => {
      order.push('claim');
      return 'claimed';
    });
    await expect(claim(fake, ['up_a'], 'cm-1')).resolves.toEqual([
      { attachmentId: 'up_a', kind: 'image', contentType: 'image/png', size: 100, fileName: 'a.png' },
    ]);
    expect(order).toEqual(['probe', 'tag', 'claim']);
    expect(fake.media.probe).toHaveBeenCalledWith('chats/g1/up_a', 32);
    expect(fake.store.uploads.getMany).toHaveBeenCalledWith('g1', ['up_a']);
    expect(fake.store.uploads.claim).toHaveBeenCalledWith(
      [upload('up_a', { fileName: 'a.png' })],
      'ann',
      'cmid:cm-1',
      new Date(NOW),
    );
  });

  it('is a no-op without attachments', async () => {
    const fake = fakeDeps();
    await expect(claimUploads(fake.deps, ann, 'g1', undefined, undefined)).resolves.toBeUndefined();
    expect(fake.store.uploads.getMany).not.toHaveBeenCalled();
  });

  it.each([
    ['unknown', [], /"attachments\[0\]\.uploadId" is not an upload you requested for this chat/],
    ["someone else's", [upload('up_a', { userId: 'bob' })], /is not an upload you requested/],
    ['used by another send', [upload('up_a', { status: 'used', usedBy: 'cmid:other' })], /already sent/],
    ['older than 12 hours', [upload('up_a', { createdAt: '2026-02-28T23:59:59.000Z' })], /has expired/],
  ])('refuses an upload that is %s, before touching S3', async (_name, uploads, message) => {
    const fake = withUploads(...uploads);
    await expect(claim(fake, ['up_a'])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(message),
    });
    expect(fake.media.probe).not.toHaveBeenCalled();
    expect(fake.media.markAttached).not.toHaveBeenCalled();
    expect(fake.store.uploads.claim).not.toHaveBeenCalled();
  });

  it.each([
    ['missing', { status: 'missing' } as const, /has no file yet/],
    [
      'of another size',
      { status: 'present', size: 99, contentType: 'image/png', head: PNG_HEAD } as const,
      /99 bytes, not the 100/,
    ],
    [
      'of another type',
      { status: 'present', size: 100, contentType: 'image/gif', head: PNG_HEAD } as const,
      /type is "image\/gif"/,
    ],
    [
      'not an image inside',
      { status: 'present', size: 100, contentType: 'image/png', head: new Uint8Array(12) } as const,
      /content is not image\/png\./,
    ],
  ])('refuses bytes that are %s, tagging and claiming nothing', async (_name, probe, message) => {
    const fake = withUploads(upload('up_a'), upload('up_b'));
    fake.media.probe.mockImplementation(async (key: string) =>
      key.endsWith('up_b')
        ? probe
        : { status: 'present', size: 100, contentType: 'image/png', head: PNG_HEAD },
    );
    await expect(claim(fake, ['up_a', 'up_b'])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/"attachments\[1\]\.uploadId"/),
    });
    await expect(claim(fake, ['up_a', 'up_b'])).rejects.toThrow(message);
    expect(fake.media.markAttached).not.toHaveBeenCalled();
    expect(fake.store.uploads.claim).not.toHaveBeenCalled();
  });

  it('does not check the first bytes of what is not an image', async () => {
    const fake = withUploads(upload('up_a', { kind: 'file', contentType: 'application/pdf' }));
    fake.media.probe.mockResolvedValue({
      status: 'present',
      size: 100,
      contentType: 'application/pdf',
      head: new Uint8Array(4),
    });
    await expect(claim(fake, ['up_a'])).resolves.toHaveLength(1);
  });

  it('lets a retry of the same send (same clientMessageId) use what it claimed', async () => {
    const fake = withUploads(upload('up_a', { status: 'used', usedBy: 'cmid:cm-1' }));
    await expect(claim(fake, ['up_a'], 'cm-1')).resolves.toHaveLength(1);
    await expect(claim(fake, ['up_a'], 'cm-2')).rejects.toThrow(/already sent/);
    await expect(claim(fake, ['up_a'])).rejects.toThrow(/already sent/);
  });

  it('gives a send without clientMessageId a one-off claim token', async () => {
    const fake = withUploads(upload('up_a'));
    await claim(fake, ['up_a']);
    await claim(fake, ['up_a']);
    const [[, , first], [, , second]] = fake.store.uploads.claim.mock.calls as [
      [unknown, unknown, string, Date],
      [unknown, unknown, string, Date],
    ];
    expect(first).toMatch(/^once:/);
    expect(second).not.toBe(first);
  });

  it('refuses when another send claimed the upload meanwhile, or its object vanished', async () => {
    const fake = withUploads(upload('up_a'));
    fake.store.uploads.claim.mockResolvedValueOnce('taken');
    await expect(claim(fake, ['up_a'])).rejects.toThrow(/another message already carries/);
    fake.media.markAttached.mockResolvedValueOnce('missing');
    await expect(claim(fake, ['up_a'])).rejects.toThrow(/has no file yet/);
  });

  it('refuses the same upload twice in one message before any read', async () => {
    const fake = withUploads(upload('up_a'));
    await expect(claim(fake, ['up_a', 'up_a'])).rejects.toThrow(
      /"attachments\[1\]\.uploadId" names an upload listed before it/,
    );
    expect(fake.store.uploads.getMany).not.toHaveBeenCalled();
  });
});

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

  it('claims the uploads before the clientMessageId: a refused upload writes nothing at all', async () => {
    const fake = withUploads(upload('up_a', { status: 'used', usedBy: 'cmid:other' }));
    fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
    const send = { chatId: 'g1', text: '', attachments: [{ uploadId: 'up_a' }], connectionId: 'k' };
    await expect(sendMessage(fake.deps, ann, { ...send, clientMessageId: 'cm-1' })).rejects.toThrow(
      /already sent in another message/,
    );
    expect(fake.store.uploads.claim).not.toHaveBeenCalled();
    expect(fake.store.claims.claim).not.toHaveBeenCalled();
    expect(fake.store.sequence.allocate).not.toHaveBeenCalled();
    expect(fake.store.messages.put).not.toHaveBeenCalled();
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
    );
    expect(fake.store.sequence.allocate).not.toHaveBeenCalled();
  });
});

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
    await deleteMessage(fake.deps, ann, { chatId: 'g1', messageId });
    expect(fake.media.delete).toHaveBeenLastCalledWith(['chats/g1/up_a']);
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
    fake.store.chats.delete.mockResolvedValue(groupChat('ann', ['ann', 'bob']).members);
    const retentionQueue = { send: vi.fn(async () => undefined) };
    await deleteChat({ ...fake.deps, retentionQueue }, ann, { chatId: 'g1' });
    expect(retentionQueue.send).toHaveBeenCalledTimes(1);
    expect(fake.media.delete).not.toHaveBeenCalled();
    expect(fake.store.chats.delete).toHaveBeenCalledTimes(1);
  });
});
