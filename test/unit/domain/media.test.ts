/**
 * Claiming uploads in the domain over mocked repositories and a mocked bucket: what is checked before
 * anything changes, in which order the uploads are tagged and claimed, and what a retry of the same
 * send may do (sendMessage and the other actions: media-actions.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { claimUploads } from '../../../lambdas/domain/media.ts';
import { caller, fakeDeps, NOW, PNG_HEAD, pendingUpload } from './fakes.ts';
import { withUploads } from './media-fakes.ts';

const ann = caller('ann');

const upload = pendingUpload;

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
      { token: expect.any(String) },
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
    [
      "a deleted message's, even to the send that stored it",
      [upload('up_a', { status: 'deleted', usedBy: 'cmid:cm-1' })],
      /"attachments\[0\]\.uploadId" was deleted with its message/,
    ],
  ])('refuses an upload that is %s, before touching S3', async (_name, uploads, message) => {
    const fake = withUploads(...uploads);
    await expect(claim(fake, ['up_a'], 'cm-1')).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(message),
    });
    expect(fake.media.probe).not.toHaveBeenCalled();
    expect(fake.media.markAttached).not.toHaveBeenCalled();
    expect(fake.store.uploads.claim).not.toHaveBeenCalled();
  });

  it('keeps an upload its own send claimed usable past 12 hours (a scheduled message sent days later)', async () => {
    const fake = withUploads(
      upload('up_a', { status: 'used', usedBy: 'cmid:cm-1', createdAt: '2026-02-28T23:59:59.000Z' }),
    );
    await expect(claim(fake, ['up_a'], 'cm-1')).resolves.toHaveLength(1);
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

  it('refuses when another send claimed the upload meanwhile (read again), or its object vanished', async () => {
    const fake = withUploads(upload('up_a'));
    fake.store.uploads.claim.mockResolvedValueOnce('taken');
    const other = upload('up_a', { status: 'used', usedBy: 'cmid:other' });
    fake.store.uploads.getMany
      .mockResolvedValueOnce(new Map([['up_a', upload('up_a')]]))
      .mockResolvedValueOnce(new Map([['up_a', other]]));
    await expect(claim(fake, ['up_a'])).rejects.toThrow(
      /"attachments\[0\]\.uploadId" was already sent in another message/,
    );
    fake.media.markAttached.mockResolvedValueOnce('missing');
    await expect(claim(fake, ['up_a'])).rejects.toThrow(/has no file yet/);
  });

  it('reads, tags and claims again when an upload was given back since it was read', async () => {
    const fake = withUploads(upload('up_a'));
    const released = upload('up_a', { releases: 1 });
    fake.store.uploads.getMany
      .mockResolvedValueOnce(new Map([['up_a', upload('up_a')]]))
      .mockResolvedValueOnce(new Map([['up_a', released]]));
    fake.store.uploads.claim.mockResolvedValueOnce('taken');
    await expect(claim(fake, ['up_a'], 'cm-1')).resolves.toHaveLength(1);
    expect(fake.media.markAttached).toHaveBeenCalledTimes(2);
    expect(fake.store.uploads.claim).toHaveBeenLastCalledWith([released], 'ann', 'cmid:cm-1', new Date(NOW), {
      token: expect.any(String),
    });
    expect(fake.media.markPending).not.toHaveBeenCalled();
    // Taken on every round: refused after three, the pending tag put back.
    fake.store.uploads.claim.mockResolvedValue('taken');
    await expect(claim(fake, ['up_a'], 'cm-2')).rejects.toThrow(/another message already carries/);
    expect(fake.media.markAttached).toHaveBeenCalledTimes(5);
  });

  it('waits for an upload held while a failed send puts its pending tag back, then CONFLICT', async () => {
    const held = upload('up_a', { status: 'used', usedBy: `untag:${Date.parse(NOW).toString(36)}.x` });
    const fake = withUploads(held);
    fake.store.uploads.getMany.mockResolvedValueOnce(new Map([['up_a', held]]));
    fake.store.uploads.getMany.mockResolvedValueOnce(new Map([['up_a', upload('up_a', { releases: 1 })]]));
    await expect(claim(fake, ['up_a'], 'cm-1')).resolves.toHaveLength(1);
    await expect(claim(fake, ['up_a'], 'cm-1')).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('"attachments[0].uploadId" is being given back'),
    });
    expect(fake.store.uploads.getMany).toHaveBeenCalledTimes(2 + 5);
    // A hold older than a minute was never released: refused as another send's.
    const stale = upload('up_a', {
      status: 'used',
      usedBy: `untag:${(Date.parse(NOW) - 61_000).toString(36)}.x`,
    });
    fake.store.uploads.getMany.mockResolvedValue(new Map([['up_a', stale]]));
    await expect(claim(fake, ['up_a'], 'cm-1')).rejects.toThrow(/already sent in another message/);
  });

  it('refuses the same upload twice in one message before any read', async () => {
    const fake = withUploads(upload('up_a'));
    await expect(claim(fake, ['up_a', 'up_a'])).rejects.toThrow(
      /"attachments\[1\]\.uploadId" names an upload listed before it/,
    );
    expect(fake.store.uploads.getMany).not.toHaveBeenCalled();
  });
});
