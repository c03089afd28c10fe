/**
 * A send with a `clientMessageId` refused at the seq allocation (here a block that landed after the
 * send's block check: the allocation's condition on the chat's mirror of the blocks refuses it) stored
 * nothing: it gives back the uploads it claimed, as a send without a `clientMessageId` does. Before,
 * they stayed bound to that send (used, tagged attached, no TTL): any other send of them was refused
 * ("already sent in another message") and their bytes were kept until the chat was deleted. A retry of
 * that very send still works (it claims them again). Two attempts of one send both refused leave
 * them bound to its `clientMessageId` (the second read them used: it gives nothing back), for a
 * later retry of it, as docs/protocol.md says.
 *
 * Over real sockets, DynamoDB Local and the local S3 stand-in. The block landing between the check
 * and the allocation is made deterministic by answering the check's key lookup "not blocked" while
 * the block is stored (and mirrored on the chat's `META`).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BlockRepository } from '../../lambdas/data/blocks.ts';
import { UploadRepository } from '../../lambdas/data/uploads.ts';
import { anotherSocket, connectUser, history, type Message, makeDirect } from '../support/chat.ts';
import { FILES, sendWith, tagsOf, uploadFile, useS3 } from '../support/media.ts';
import { useTestStack } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

const stack = useTestStack();
const table = useTableStore(stack);
const s3 = useS3(stack);
afterEach(() => {
  vi.restoreAllMocks();
});

describe('a send with a clientMessageId refused at the allocation', () => {
  it('gives its uploads back: another send may carry them', async () => {
    const alice = await connectUser(stack);
    const bob = await connectUser(stack);
    const { chatId } = await makeDirect(alice, bob.userId);
    const png = FILES.png(1500);
    const uploadId = await uploadFile(alice, chatId, png, 'image/png', 'cake.png');
    const record = async () =>
      (await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === `UPLOAD#${uploadId}`);

    await bob.ok('blockUser', { userId: alice.userId });
    // The block lands after the send's check (which reads "not blocked"): the allocation refuses.
    vi.spyOn(BlockRepository.prototype, 'isBlocked').mockResolvedValue(false);
    const frame = { chatId, text: '', clientMessageId: 'refused-1', attachments: [{ uploadId }] };
    const refused = await alice.request('sendMessage', frame);
    expect(refused).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    vi.restoreAllMocks();
    await stack.gateway.idle();

    // Given back: pending again (it expires unless sent), tagged pending.
    expect(await record()).toMatchObject({ status: 'pending', releases: 1, ttl: expect.any(Number) });
    expect(await tagsOf(stack, s3(), chatId, uploadId)).toEqual(['chat-media=pending']);

    // Usable again, by another send (here one without a clientMessageId) once unblocked.
    await bob.ok('unblockUser', { userId: alice.userId });
    const message: Message = await sendWith(alice, chatId, [uploadId]);
    expect(message.attachments.map((a) => a.attachmentId)).toEqual([uploadId]);
    expect(await record()).toMatchObject({ status: 'used' });
    expect(await tagsOf(stack, s3(), chatId, uploadId)).toEqual(['chat-media=attached']);
    expect((await history(bob, chatId)).messages.map((m) => m.messageId)).toEqual([message.messageId]);
  });

  it('still lets its retry claim them again and send', async () => {
    const alice = await connectUser(stack);
    const bob = await connectUser(stack);
    const { chatId } = await makeDirect(alice, bob.userId);
    const uploadId = await uploadFile(alice, chatId, FILES.png(1500), 'image/png', 'cake.png');
    await bob.ok('blockUser', { userId: alice.userId });
    vi.spyOn(BlockRepository.prototype, 'isBlocked').mockResolvedValue(false);
    const frame = { chatId, text: '', clientMessageId: 'refused-2', attachments: [{ uploadId }] };
    expect(await alice.request('sendMessage', frame)).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    vi.restoreAllMocks();
    await bob.ok('unblockUser', { userId: alice.userId });
    const retried = await alice.ok('sendMessage', frame);
    expect(retried).toMatchObject({
      duplicate: false,
      message: { attachments: [{ attachmentId: uploadId }] },
    });
    expect(await tagsOf(stack, s3(), chatId, uploadId)).toEqual(['chat-media=attached']);
  });
});

describe('two attempts of one send, both refused at the allocation', () => {
  it('leave the uploads bound to the clientMessageId (used, attached, no TTL): a later retry sends them', async () => {
    const alice = await connectUser(stack);
    const alice2 = await anotherSocket(stack, alice);
    const bob = await connectUser(stack);
    const { chatId } = await makeDirect(alice, bob.userId);
    const uploadId = await uploadFile(alice, chatId, FILES.png(900), 'image/png', 'b.png');
    await bob.ok('blockUser', { userId: alice.userId });
    vi.spyOn(BlockRepository.prototype, 'isBlocked').mockResolvedValue(false);
    // The first attempt, refused, gives back only once the second (a resend) has claimed the upload.
    let claims = 0;
    let secondClaimed!: () => void;
    const second = new Promise<void>((resolve) => {
      secondClaimed = resolve;
    });
    const claim = UploadRepository.prototype.claim;
    vi.spyOn(UploadRepository.prototype, 'claim').mockImplementation(async function (
      this: UploadRepository,
      ...args
    ) {
      const outcome = await claim.apply(this, args);
      if (outcome === 'claimed' && ++claims === 2) secondClaimed();
      return outcome;
    });
    const handOver = UploadRepository.prototype.handOver;
    let firstAtHandOver!: () => void;
    const atHandOver = new Promise<void>((resolve) => {
      firstAtHandOver = resolve;
    });
    vi.spyOn(UploadRepository.prototype, 'handOver').mockImplementation(async function (
      this: UploadRepository,
      ...args
    ) {
      firstAtHandOver();
      await second;
      return handOver.apply(this, args);
    });
    const frame = { chatId, text: '', clientMessageId: 'twice-1', attachments: [{ uploadId }] };
    const first = alice.request('sendMessage', frame);
    await atHandOver;
    const resent = alice2.request('sendMessage', frame);
    expect(await Promise.all([first, resent])).toMatchObject([
      { type: 'error', code: 'FORBIDDEN' },
      { type: 'error', code: 'FORBIDDEN' },
    ]);
    vi.restoreAllMocks();
    await stack.gateway.idle();
    // The second attempt read it used by its send: it never gives it back (docs/protocol.md, Media).
    const record = (await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === `UPLOAD#${uploadId}`);
    expect(record).toMatchObject({ status: 'used', usedBy: 'cmid:twice-1' });
    expect(record).not.toHaveProperty('ttl');
    expect(await tagsOf(stack, s3(), chatId, uploadId)).toEqual(['chat-media=attached']);
    await bob.ok('unblockUser', { userId: alice.userId });
    const other = await alice.request('sendMessage', { ...frame, clientMessageId: 'twice-2' });
    expect(JSON.stringify(other)).toContain('was already sent in another message');
    expect(await alice.ok('sendMessage', frame)).toMatchObject({
      duplicate: false,
      message: { attachments: [{ attachmentId: uploadId }] },
    });
    await alice2.close();
  });
});

describe('the claim of uploads by attempts of one send, and the hand-over', () => {
  it('lets one attempt take an upload from pending; a hand-over on its token fails once another attempt claimed it', async () => {
    const alice = await connectUser(stack);
    const bob = await connectUser(stack);
    const { chatId } = await makeDirect(alice, bob.userId);
    const uploadId = await uploadFile(alice, chatId, FILES.png(600), 'image/png');
    const { uploads } = table.store;
    const read = async () => {
      const upload = (await uploads.getMany(chatId, [uploadId])).get(uploadId);
      if (!upload) throw new Error('no upload');
      return upload;
    };
    const by = 'cmid:twice';
    const pending = await read();
    // Both attempts read it pending: the first takes it, the second is refused and reads it again.
    expect(await uploads.claim([pending], alice.userId, by, new Date(), { token: 'A' })).toBe('claimed');
    expect(await uploads.claim([pending], alice.userId, by, new Date(), { token: 'B' })).toBe('taken');
    const held = await read();
    expect(held).toMatchObject({ status: 'used', usedBy: by, claimToken: 'A' });
    expect(await uploads.claim([held], alice.userId, by, new Date(), { token: 'B' })).toBe('claimed');
    // A cannot hand it over any more (B may store its message with it); B can.
    expect(await uploads.handOver({ chatId, uploadId }, { usedBy: by, token: 'A' }, 'untag:x')).toBe(false);
    expect(await read()).toMatchObject({ status: 'used', usedBy: by, claimToken: 'B' });
    expect(await uploads.handOver({ chatId, uploadId }, { usedBy: by, token: 'B' }, 'untag:x')).toBe(true);
    // Held by the one-off holder: no attempt of the send can claim it as it read it.
    expect(await uploads.claim([held], alice.userId, by, new Date(), { token: 'C' })).toBe('taken');
    expect(await read()).toMatchObject({ status: 'used', usedBy: 'untag:x' });
  });
});
