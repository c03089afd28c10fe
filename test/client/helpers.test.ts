/**
 * The thin helpers for the v2 flows, on a fake socket: an upload is requestUpload + a PUT with the
 * returned headers (and a failed PUT is an error), then sendMessage with the uploadId; scheduling,
 * group creation (its clientChatId kept across retries) and push-token registration are requests
 * with the right fields; a "busy" CONFLICT is retried (scheduling with the same clientMessageId).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createGroup,
  type FetchLike,
  registerPushToken,
  scheduleMessage,
  sendAttachment,
  uploadAttachment,
} from '../../client/src/index.ts';
import { FakeSocket, type Sent } from './support/fake-socket.ts';
import { fakeClient, flush } from './support/harness.ts';

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.reset();
});
afterEach(() => {
  vi.useRealTimers();
});

const upload = {
  uploadId: 'up-1',
  url: 'http://127.0.0.1:4569/bucket/up-1?X-Amz-Signature=abc',
  method: 'PUT',
  headers: { 'content-type': 'image/png', 'content-length': '4' },
  maxBytes: 4,
  expiresAt: '2026-12-01T18:15:00.000Z',
};

async function open() {
  const h = fakeClient({ sync: false });
  await flush();
  FakeSocket.last.open();
  return h.client;
}

const answer = async (action: string, fields: Record<string, unknown>): Promise<Sent> => {
  await flush();
  const request = FakeSocket.last.requests(action).at(-1) as Sent;
  FakeSocket.last.ack(request, fields);
  return request;
};

describe('helpers', () => {
  it('uploadAttachment: requestUpload with the size of the body, then PUT with exactly the returned headers', async () => {
    const client = await open();
    const body = new Uint8Array([1, 2, 3, 4]);
    const put = vi.fn<FetchLike>(async () => ({ ok: true, status: 200 }));
    const done = uploadAttachment(client, { chatId: 'c1', body, contentType: 'image/png', fetch: put });
    const request = await answer('requestUpload', { upload });
    expect(request).toMatchObject({ chatId: 'c1', contentType: 'image/png', size: 4 });
    expect(await done).toBe('up-1');
    expect(put).toHaveBeenCalledWith(upload.url, { method: 'PUT', headers: upload.headers, body });
  });

  it('a refused PUT is an error, and nothing is sent', async () => {
    const client = await open();
    const put = vi.fn<FetchLike>(async () => ({ ok: false, status: 403 }));
    const done = sendAttachment(client, {
      chatId: 'c1',
      body: new Uint8Array(4),
      contentType: 'image/png',
      fetch: put,
    });
    const failed = done.catch((e: Error) => e.message);
    await answer('requestUpload', { upload });
    expect(await failed).toContain('HTTP 403');
    expect(FakeSocket.last.requests('sendMessage')).toEqual([]);
  });

  it('sendAttachment: the upload, then sendMessage with its uploadId through the outbox', async () => {
    const client = await open();
    const put = vi.fn<FetchLike>(async () => ({ ok: true, status: 200 }));
    const done = sendAttachment(client, {
      chatId: 'c1',
      body: new Uint8Array(4),
      contentType: 'image/png',
      text: 'look',
      fetch: put,
    });
    await answer('requestUpload', { upload });
    const send = await answer('sendMessage', {
      message: { chatId: 'c1', seq: 1, text: 'look' },
      duplicate: false,
    });
    expect(send).toMatchObject({ chatId: 'c1', text: 'look', attachments: [{ uploadId: 'up-1' }] });
    expect(typeof send.clientMessageId).toBe('string');
    await expect(done).resolves.toMatchObject({ seq: 1 });
  });

  it('scheduleMessage carries a clientMessageId; registerPushToken registers the device', async () => {
    const client = await open();
    const scheduled = scheduleMessage(client, {
      chatId: 'c1',
      text: 'later',
      sendAt: '2026-12-02T09:00:00Z',
    });
    const request = await answer('scheduleMessage', { scheduled: { scheduledId: 's1' } });
    expect(request).toMatchObject({ chatId: 'c1', text: 'later', sendAt: '2026-12-02T09:00:00Z' });
    expect(typeof request.clientMessageId).toBe('string');
    await expect(scheduled).resolves.toMatchObject({ scheduled: { scheduledId: 's1' } });
    const device = registerPushToken(client, 'fcm', 'token-1', 'com.example.chat');
    const register = await answer('registerDevice', { device: { deviceId: 'd1' } });
    expect(register).toMatchObject({ platform: 'fcm', token: 'token-1', appId: 'com.example.chat' });
    await expect(device).resolves.toMatchObject({ device: { deviceId: 'd1' } });
  });

  it('createGroup carries a fresh clientChatId and sends the same one again when it retries', async () => {
    const client = await open();
    const created = createGroup(client, { name: 'Trip', memberIds: ['bob'] });
    await flush();
    const first = FakeSocket.last.requests('createChat').at(-1) as Sent;
    expect(first).toMatchObject({ kind: 'group', name: 'Trip', memberIds: ['bob'] });
    expect(typeof first.clientChatId).toBe('string');
    FakeSocket.last.error(first, 'INTERNAL'); // the group may have been stored: retry it as it was
    await vi.advanceTimersByTimeAsync(6000);
    const retry = await answer('createChat', { chat: { chatId: 'c9' }, created: false });
    expect(retry.requestId).not.toBe(first.requestId);
    expect(retry.clientChatId).toBe(first.clientChatId);
    await expect(created).resolves.toMatchObject({ chat: { chatId: 'c9' }, created: false });
    const other = createGroup(client, { name: 'Trip', memberIds: ['bob'] });
    const next = await answer('createChat', { chat: { chatId: 'c10' }, created: true });
    expect(next.clientChatId).not.toBe(first.clientChatId);
    await other;
  });

  it('createGroup retries CONFLICT (a big group still being created) with the same clientChatId', async () => {
    const client = await open();
    const created = createGroup(client, { name: 'Big', memberIds: ['bob'], clientChatId: 'draft-1' });
    await flush();
    for (let i = 0; i < 3; i++) {
      const busy = FakeSocket.last.requests('createChat').at(-1) as Sent;
      expect(busy.clientChatId).toBe('draft-1'); // the caller's own, kept in every retry
      FakeSocket.last.error(busy, 'CONFLICT');
      await vi.advanceTimersByTimeAsync(2000);
    }
    const done = await answer('createChat', { chat: { chatId: 'c7' }, created: true });
    expect(done.clientChatId).toBe('draft-1');
    expect(FakeSocket.last.requests('createChat')).toHaveLength(4);
    await expect(created).resolves.toMatchObject({ chat: { chatId: 'c7' }, created: true });
  });

  it('createGroup gives up after 4 retries of CONFLICT, all with the same clientChatId', async () => {
    const client = await open();
    const created = createGroup(client, { name: 'Big', memberIds: ['bob'] });
    const failed = created.catch((e: { code: string }) => e.code);
    await flush();
    for (let i = 0; i < 5; i++) {
      FakeSocket.last.error(FakeSocket.last.requests('createChat').at(-1) as Sent, 'CONFLICT');
      await vi.advanceTimersByTimeAsync(2000);
    }
    expect(await failed).toBe('CONFLICT');
    const sent = FakeSocket.last.requests('createChat');
    expect(sent).toHaveLength(5);
    expect(new Set(sent.map((r) => r.clientChatId)).size).toBe(1);
  });

  it('scheduleMessage retries a busy CONFLICT with the same clientMessageId', async () => {
    const client = await open();
    const fields = { chatId: 'c1', text: 'later', sendAt: '2026-12-02T09:00:00Z' };
    const scheduled = scheduleMessage(client, fields);
    await flush();
    FakeSocket.last.error(FakeSocket.last.requests('scheduleMessage')[0] as Sent, 'CONFLICT', {
      message: 'Your scheduled messages were busy; please retry.',
    });
    await vi.advanceTimersByTimeAsync(500);
    const retry = await answer('scheduleMessage', { scheduled: { scheduledId: 's1' } });
    await expect(scheduled).resolves.toMatchObject({ scheduled: { scheduledId: 's1' } });
    const sent = FakeSocket.last.requests('scheduleMessage');
    expect(sent).toHaveLength(2);
    expect(retry.clientMessageId).toBe(sent[0]?.clientMessageId);
    // Your own clientMessageId (to try again later without a second schedule) is the one sent.
    const own = scheduleMessage(client, { ...fields, clientMessageId: 'draft-7' });
    expect((await answer('scheduleMessage', { scheduled: { scheduledId: 's1' } })).clientMessageId).toBe(
      'draft-7',
    );
    await own;
  });

  it('registerPushToken retries a busy CONFLICT (your devices changed meanwhile), then gives up', async () => {
    const client = await open();
    const device = registerPushToken(client, 'apns', 'token-2');
    await flush();
    FakeSocket.last.error(FakeSocket.last.requests('registerDevice')[0] as Sent, 'CONFLICT');
    await vi.advanceTimersByTimeAsync(500);
    await answer('registerDevice', { device: { deviceId: 'd2' } });
    await expect(device).resolves.toMatchObject({ device: { deviceId: 'd2' } });
    const refused = registerPushToken(client, 'apns', 'token-3').catch((e: { code: string }) => e.code);
    for (let i = 0; i < 5; i++) {
      await flush();
      FakeSocket.last.error(FakeSocket.last.requests('registerDevice').at(-1) as Sent, 'CONFLICT');
      await vi.advanceTimersByTimeAsync(500);
    }
    expect(await refused).toBe('CONFLICT');
    expect(FakeSocket.last.requests('registerDevice')).toHaveLength(2 + 5);
  });
});
