/**
 * The outbox on a fake socket and fake timers: offline sends, order per chat, resends with the same
 * clientMessageId after a lost socket, RATE_LIMITED honoured, refusals dropped, and an outbox that
 * survives a restart through the store.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type ChatClientError,
  MAX_FRAME_BYTES,
  MemoryStore,
  type OutboxChange,
} from '../../client/src/index.ts';
import { FakeServer } from './support/fake-server.ts';
import { FakeSocket, type Sent } from './support/fake-socket.ts';
import { fakeClient, flush } from './support/harness.ts';

let server: FakeServer;

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.reset();
  server = new FakeServer();
  server.chat('a');
  server.chat('b');
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const sends = (socket = FakeSocket.last): Sent[] => socket.requests('sendMessage');
const notSend = (r: Sent) => r.action === 'sendMessage';

/** A client that is open and caught up; sends are answered only when the test says so. */
async function openClient(options: Parameters<typeof fakeClient>[0] = {}) {
  const h = fakeClient(options);
  const outbox: OutboxChange[] = [];
  h.client.on('outbox', (c) => outbox.push(c));
  await flush();
  FakeSocket.last.open();
  for (let i = 0; i < 10; i++) {
    await flush();
    server.serve(FakeSocket.last, notSend);
  }
  return { ...h, outbox };
}

describe('outbox', () => {
  it('keeps sends made offline and sends them once open, one at a time per chat, in order', async () => {
    const h = fakeClient();
    const done = ['a1', 'a2', 'a3'].map((t) => h.client.sendMessage('a', t));
    const other = h.client.sendMessage('b', 'b1');
    expect(h.client.pending().map((e) => e.fields.text)).toEqual(['a1', 'a2', 'a3', 'b1']);
    await flush();
    FakeSocket.last.open();
    await flush();
    // One in flight per chat; chats do not wait for each other.
    expect(sends().map((r) => r.text)).toEqual(['a1', 'b1']);
    for (let i = 0; i < 10; i++) {
      server.serve(FakeSocket.last);
      await flush();
    }
    expect(sends().map((r) => r.text)).toEqual(['a1', 'b1', 'a2', 'a3']);
    const stored = await Promise.all([...done, other]);
    expect(stored.map((m) => [m.chatId, m.seq, m.text])).toEqual([
      ['a', 1, 'a1'],
      ['a', 2, 'a2'],
      ['a', 3, 'a3'],
      ['b', 1, 'b1'],
    ]);
    expect(h.client.pending()).toEqual([]);
    expect(h.client.messages('a').map((m) => m.text)).toEqual(['a1', 'a2', 'a3']);
  });

  it('resends with the same clientMessageId after the socket is lost; the server keeps one copy', async () => {
    const { client } = await openClient();
    const sent = client.sendMessage('a', 'hello', { clientMessageId: 'cm-1' });
    await flush();
    const first = FakeSocket.last;
    server.answer(sends(first)[0] as Sent); // stored, but the ack is lost with the socket
    first.serverClose(1006);
    await flush(60_000);
    FakeSocket.last.open();
    for (let i = 0; i < 10; i++) {
      await flush();
      server.serve(FakeSocket.last);
    }
    const message = await sent;
    expect([...sends(first), ...sends()].map((r) => r.clientMessageId)).toEqual(['cm-1', 'cm-1']);
    expect(server.get('a').messages).toHaveLength(1);
    expect(message).toMatchObject({ seq: 1, clientMessageId: 'cm-1' });
    expect(client.stats).toMatchObject({ resends: 1, serverDuplicates: 1 });
    expect(client.messages('a')).toHaveLength(1);
  });

  it('a send repeated with the same clientMessageId while queued is one change: one frame, both calls resolve', async () => {
    const { client } = await openClient();
    const one = client.sendMessage('a', 'hello', { clientMessageId: 'draft-1' });
    const again = client.sendMessage('a', 'hello', { clientMessageId: 'draft-1' });
    expect(client.pending()).toHaveLength(1);
    await flush();
    server.serve(FakeSocket.last);
    await expect(Promise.all([one, again])).resolves.toEqual([
      expect.objectContaining({ seq: 1, clientMessageId: 'draft-1' }),
      expect.objectContaining({ seq: 1, clientMessageId: 'draft-1' }),
    ]);
    expect(sends()).toHaveLength(1);
  });

  it('honours RATE_LIMITED: waits retryAfterMs before resending', async () => {
    const { client } = await openClient();
    const sent = client.sendMessage('a', 'slow down');
    await flush();
    FakeSocket.last.error(sends()[0] as Sent, 'RATE_LIMITED', { retryAfterMs: 4000 });
    await flush(3990);
    expect(sends()).toHaveLength(1);
    await flush(20);
    expect(sends()).toHaveLength(2);
    expect(sends()[1]?.clientMessageId).toBe(sends()[0]?.clientMessageId);
    server.serve(FakeSocket.last);
    await expect(sent).resolves.toMatchObject({ text: 'slow down' });
  });

  it('retries INTERNAL and a send CONFLICT with backoff, keeping the order behind them', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.25); // backoff: 50 ms, then 100 ms
    const { client } = await openClient();
    const first = client.sendMessage('a', 'first', { clientMessageId: 'cm-first' });
    const second = client.sendMessage('a', 'second', { clientMessageId: 'cm-second' });
    await flush();
    FakeSocket.last.error(sends()[0] as Sent, 'INTERNAL');
    await flush(100);
    FakeSocket.last.error(sends()[1] as Sent, 'CONFLICT');
    await flush(10_000);
    expect(sends().map((r) => r.text)).toEqual(['first', 'first', 'first']);
    for (let i = 0; i < 5; i++) {
      server.serve(FakeSocket.last);
      await flush();
    }
    expect((await first).seq).toBe(1);
    expect((await second).seq).toBe(2);
  });

  it('drops a change the server refuses for good, rejects it, and goes on with the next', async () => {
    const { client, outbox } = await openClient();
    const refused = client.sendMessage('a', 'to a chat I left').catch((e: ChatClientError) => e.code);
    const next = client.sendMessage('a', 'next');
    await flush();
    FakeSocket.last.error(sends()[0] as Sent, 'NOT_FOUND');
    expect(await refused).toBe('NOT_FOUND');
    await flush();
    server.serve(FakeSocket.last);
    await expect(next).resolves.toMatchObject({ text: 'next' });
    expect(outbox.map((c) => `${c.entry.fields.text}:${c.status}`)).toEqual([
      'to a chat I left:queued',
      'next:queued',
      'to a chat I left:failed',
      'next:sent',
    ]);
    // An edit of a deleted message (CONFLICT) is final too.
    server.remove('a', 1);
    const edit = client.editMessage('a', 'a-m1', 'too late').catch((e: ChatClientError) => e.code);
    await flush();
    server.serve(FakeSocket.last);
    expect(await edit).toBe('CONFLICT');
  });

  it('refuses a frame over MAX_FRAME_BYTES (UTF-8) without sending it; the chat goes on', async () => {
    expect(MAX_FRAME_BYTES).toBe(32 * 1024);
    const { client, outbox } = await openClient();
    // 11,000 € are 11,000 UTF-16 units but 33,000 UTF-8 bytes; 10,000 € (30,000 bytes) fit.
    const big = client.sendMessage('a', '€'.repeat(11_000)).then(
      () => undefined,
      (e: ChatClientError) => e,
    );
    const fits = client.sendMessage('a', '€'.repeat(10_000));
    await flush();
    expect(await big).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', action: 'sendMessage' });
    expect((await big)?.message).toContain(`${MAX_FRAME_BYTES} bytes`);
    expect(sends().map((r) => (r.text as string).length)).toEqual([10_000]);
    server.serve(FakeSocket.last);
    await expect(fits).resolves.toMatchObject({ seq: 1 });
    expect(client.pending()).toEqual([]);
    expect(outbox.filter((c) => c.status === 'failed').map((c) => c.error?.code)).toEqual([
      'PAYLOAD_TOO_LARGE',
    ]);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('a socket closed with 1009 fails the send in flight for good instead of resending it forever', async () => {
    const { client } = await openClient();
    const big = client.sendMessage('a', 'x'.repeat(20_000)).catch((e: ChatClientError) => e.code);
    const next = client.sendMessage('a', 'next');
    await flush();
    expect(sends()).toHaveLength(1);
    FakeSocket.last.serverClose(1009); // a gateway with a lower limit than the client's
    expect(await big).toBe('PAYLOAD_TOO_LARGE');
    await flush(60_000);
    FakeSocket.last.open();
    for (let i = 0; i < 10; i++) {
      await flush();
      server.serve(FakeSocket.last);
    }
    await expect(next).resolves.toMatchObject({ text: 'next' });
    expect(sends().map((r) => r.text)).toEqual(['next']);
    expect(server.get('a').messages.map((m) => m.text)).toEqual(['next']);
  });

  it('after the client has closed, a send, edit, delete or react rejects with CLOSED at once and stores nothing', async () => {
    const store = new MemoryStore();
    const { client } = await openClient({ store });
    client.close();
    const outcomes = await Promise.all(
      [
        client.sendMessage('a', 'too late'),
        client.editMessage('a', 'a-m1', 'too late'),
        client.deleteMessage('a', 'a-m1'),
        client.react('a', 'a-m1', '👍'),
      ].map((p) =>
        p.then(
          () => 'resolved',
          (e: ChatClientError) => [e.code, e.action],
        ),
      ),
    );
    expect(outcomes).toEqual([
      ['CLOSED', 'sendMessage'],
      ['CLOSED', 'editMessage'],
      ['CLOSED', 'deleteMessage'],
      ['CLOSED', 'react'],
    ]);
    expect(client.pending()).toEqual([]);
    await flush();
    expect(store.outbox).toEqual([]);
  });

  it('a client stopped by a refused static token rejects a send with CLOSED', async () => {
    const { client } = fakeClient();
    await flush();
    FakeSocket.last.refuse(401);
    expect(client.state).toBe('closed');
    await expect(client.sendMessage('a', 'hi')).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('survives a restart: the outbox is stored and sent by the next client', async () => {
    const store = new MemoryStore();
    const h = fakeClient({ store });
    void h.client
      .sendMessage('a', 'written offline', { clientMessageId: 'cm-offline' })
      .catch(() => undefined);
    await flush();
    h.client.close();
    await flush();
    expect(store.outbox.map((e) => e.id)).toEqual(['cm-offline']);
    FakeSocket.reset();
    const next = fakeClient({ store });
    await flush();
    FakeSocket.last.open();
    for (let i = 0; i < 10; i++) {
      await flush();
      server.serve(FakeSocket.last);
    }
    expect(server.get('a').messages.map((m) => m.clientMessageId)).toEqual(['cm-offline']);
    expect(next.client.pending()).toEqual([]);
    await flush();
    expect(store.outbox).toEqual([]);
    expect(next.client.messages('a').map((m) => m.text)).toEqual(['written offline']);
  });
});
