/**
 * Attachment download URLs expire (an hour; the local S3 stand-in enforces it): the client renews
 * them with `getAttachmentUrl` through `attachmentUrl`, one request for concurrent callers, and the
 * held message (and the store) gets the fresh URL. An expired URL is made the way time makes one: the
 * stored copy's `X-Amz-Date` and `urlExpiresAt` put two hours back (the stand-in checks expiry, not
 * signatures), as an app reading its offline store later finds them.
 */
import { describe, expect, it } from 'vitest';
import { type Attachment, MemoryStore, sendAttachment } from '../../client/src/index.ts';
import { eventually } from '../support/client.ts';
import { download, PNG } from '../support/media.ts';
import { useTestStack } from '../support/stack.ts';
import { clientFor, settled, socketFamily, useClients } from './support/e2e.ts';

const stack = useTestStack();
const { track, pair } = useClients(stack);

/** The attachment as it is once its URL has expired. */
function expired(a: Attachment): Attachment {
  const url = new URL(a.url);
  url.searchParams.set('X-Amz-Date', '20200101T000000Z');
  return { ...a, url: url.toString(), urlExpiresAt: '2020-01-01T01:00:00.000Z' };
}

describe('attachment URLs', () => {
  it('an expired URL from the store is renewed once for concurrent callers; the held message and the store get the fresh one', async () => {
    const store = new MemoryStore();
    const { alice, bob, bobId, chatId } = await pair('urls', { store });
    const sent = await sendAttachment(alice, {
      chatId,
      body: PNG,
      contentType: 'image/png',
      fileName: 'dot.png',
    });
    await eventually(() => bob.messages(chatId).length === 1);
    await settled(bob);
    await bob.close();
    const stored = store.messages.get(chatId)?.get(sent.seq);
    const original = stored?.attachments[0];
    if (!stored || !original) throw new Error('the store holds no attachment');
    const stale = expired(original);
    store.messages.get(chatId)?.set(sent.seq, { ...stored, attachments: [stale] });
    expect((await download(stale.url)).status).toBe(403);

    const sockets = socketFamily();
    const again = track(clientFor(stack, bobId, { store, WebSocket: sockets.WebSocket }));
    await settled(again);
    expect(again.messages(chatId)[0]?.attachments[0]?.url).toBe(stale.url);
    const heard: string[] = [];
    again.on('messages', ({ messages }) => {
      for (const m of messages) heard.push(m.attachments[0]?.url ?? '');
    });

    const urls = await Promise.all(
      [1, 2, 3].map(() => again.attachmentUrl(chatId, sent.messageId, original.attachmentId)),
    );
    expect(new Set(urls).size).toBe(1);
    const [fresh = ''] = urls;
    expect(sockets.requests('getAttachmentUrl')).toHaveLength(1);
    const got = await download(fresh);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(PNG)).toBe(true);

    const held = again.messages(chatId)[0]?.attachments[0];
    expect(held).toMatchObject({ url: fresh, attachmentId: original.attachmentId });
    expect(Date.parse(held?.urlExpiresAt ?? '') - Date.now()).toBeGreaterThan(3500_000);
    expect(heard).toEqual([fresh]);
    await settled(again);
    expect(store.messages.get(chatId)?.get(sent.seq)?.attachments[0]?.url).toBe(fresh);

    // Good for an hour: asked again, the held URL, with no request.
    expect(await again.attachmentUrl(chatId, sent.messageId, original.attachmentId)).toBe(fresh);
    expect(sockets.requests('getAttachmentUrl')).toHaveLength(1);
    // A URL that would not load (403 after the credentials rotated) is renewed whatever its expiry.
    await again.attachmentUrl(chatId, sent.messageId, original.attachmentId, fresh);
    expect(sockets.requests('getAttachmentUrl')).toHaveLength(2);
  });

  it('a renewed URL is not served once the held message lost the attachment: NOT_FOUND after a delete', async () => {
    const { alice, bob, chatId } = await pair('urls-deleted');
    const sent = await sendAttachment(alice, { chatId, body: PNG, contentType: 'image/png' });
    await eventually(() => bob.messages(chatId).length === 1);
    const attachmentId = sent.attachments[0]?.attachmentId ?? '';
    const held = bob.messages(chatId)[0]?.attachments[0]?.url ?? '';
    const fresh = await bob.attachmentUrl(chatId, sent.messageId, attachmentId, held);
    expect(await bob.attachmentUrl(chatId, sent.messageId, attachmentId)).toBe(fresh);
    await alice.deleteMessage(chatId, sent.messageId);
    await eventually(() => bob.messages(chatId)[0]?.deleted === true);
    await expect(bob.attachmentUrl(chatId, sent.messageId, attachmentId)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('a message the client does not hold: one request for concurrent callers, reused while good; NOT_FOUND rejects', async () => {
    const { alice, chatId } = await pair('urls-unheld');
    const sent = await sendAttachment(alice, { chatId, body: PNG, contentType: 'image/png' });
    const sockets = socketFamily();
    const bare = track(clientFor(stack, alice.userId, { sync: false, WebSocket: sockets.WebSocket }));
    const attachmentId = sent.attachments[0]?.attachmentId ?? '';
    const [a, b] = await Promise.all([
      bare.attachmentUrl(chatId, sent.messageId, attachmentId),
      bare.attachmentUrl(chatId, sent.messageId, attachmentId),
    ]);
    expect(a).toBe(b);
    expect((await download(a)).status).toBe(200);
    expect(await bare.attachmentUrl(chatId, sent.messageId, attachmentId)).toBe(a);
    expect(sockets.requests('getAttachmentUrl')).toHaveLength(1);

    await alice.deleteMessage(chatId, sent.messageId);
    await expect(bare.attachmentUrl(chatId, sent.messageId, attachmentId, a)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
