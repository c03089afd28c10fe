/**
 * The per-action gate (client/src/gate.ts) and the outbox's bound across chats (SENDS_IN_FLIGHT),
 * on a fake socket and fake timers: after `RATE_LIMITED` no frame of that action leaves until
 * `retryAfterMs` has passed, whoever asks (also after a refusal that came once its request had
 * timed out); other actions go on; a held request does not time out while held and fails with
 * CLOSED on close(); an opened gate lets the held requests out RELEASE_BATCH at a time and shuts
 * again on a refusal among them; the outbox keeps at most SENDS_IN_FLIGHT changes in flight, one
 * per chat, in order. The e2e proof on the local stack: e2e-rate-limits.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RELEASE_BATCH } from '../../client/src/gate.ts';
import { SENDS_IN_FLIGHT } from '../../client/src/outbox.ts';
import { FakeServer } from './support/fake-server.ts';
import { FakeSocket, type Sent } from './support/fake-socket.ts';
import { fakeClient, flush } from './support/harness.ts';

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.reset();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

async function open(options: Parameters<typeof fakeClient>[0] = {}) {
  const h = fakeClient({ sync: false, ...options });
  await flush();
  FakeSocket.last.open();
  return h;
}

describe('the gate of a refused action', () => {
  it('holds every frame of it until retryAfterMs, without a timeout meanwhile; other actions go on', async () => {
    const { client } = await open({ requestTimeoutMs: 1000 });
    const socket = FakeSocket.last;
    const first = client.request('getChat', { chatId: 'c1' });
    socket.error(socket.requests('getChat')[0] as Sent, 'RATE_LIMITED', { retryAfterMs: 5000 });
    await expect(first).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 5000 });
    // Held, however it is asked for (twice here), longer than the request timeout.
    const held = [client.request('getChat', { chatId: 'c2' }), client.request('getChat', { chatId: 'c3' })];
    const other = client.request('listChats');
    socket.ack(socket.requests('listChats')[0] as Sent, { chats: [], nextCursor: null });
    await expect(other).resolves.toMatchObject({ chats: [] });
    await flush(4990);
    expect(socket.requests('getChat')).toHaveLength(1);
    await flush(20);
    const sent = socket.requests('getChat').slice(1);
    expect(sent.map((r) => r.chatId)).toEqual(['c2', 'c3']);
    for (const r of sent) socket.ack(r, { chat: { chatId: r.chatId } });
    expect((await Promise.all(held)).map((a) => a.chat.chatId)).toEqual(['c2', 'c3']);
  });

  it('times a held request from when the gate opens', async () => {
    const { client } = await open({ requestTimeoutMs: 1000 });
    const socket = FakeSocket.last;
    void client.request('getChat', { chatId: 'c1' }).catch(() => undefined);
    socket.error(socket.requests('getChat')[0] as Sent, 'RATE_LIMITED', { retryAfterMs: 3000 });
    const held = client.request('getChat', { chatId: 'c2' }).catch((e: unknown) => e);
    await flush(3000 + 990);
    expect(socket.requests('getChat')).toHaveLength(2);
    await flush(20);
    await expect(held).resolves.toMatchObject({ code: 'TIMEOUT' });
  });

  it('shuts also on a RATE_LIMITED that comes after its request timed out', async () => {
    const { client } = await open({ requestTimeoutMs: 1000 });
    const socket = FakeSocket.last;
    const late = client.request('getChat', { chatId: 'c1' }).catch((e: unknown) => e);
    await flush(1000);
    await expect(late).resolves.toMatchObject({ code: 'TIMEOUT' });
    socket.ack(socket.requests('ping')[0] as Sent); // the timeout's probe: the socket is alive
    // The refusal comes now, matching no request any more.
    socket.error(socket.requests('getChat')[0] as Sent, 'RATE_LIMITED', { retryAfterMs: 5000 });
    const held = client.request('getChat', { chatId: 'c2' });
    await flush(4990);
    expect(socket.requests('getChat')).toHaveLength(1);
    await flush(20);
    const sent = socket.requests('getChat')[1] as Sent;
    expect(sent.chatId).toBe('c2');
    socket.ack(sent, { chat: { chatId: 'c2' } });
    await expect(held).resolves.toMatchObject({ chat: { chatId: 'c2' } });
  });

  it(`lets the held requests out RELEASE_BATCH (${RELEASE_BATCH}) at a time, the next as one is answered; a refusal among them shuts it again`, async () => {
    const { client } = await open({ requestTimeoutMs: 60_000 });
    const socket = FakeSocket.last;
    const chatIds = (from = 0) =>
      socket
        .requests('getChat')
        .slice(from)
        .map((r) => r.chatId);
    void client.request('getChat', { chatId: 'c0' }).catch(() => undefined);
    socket.error(socket.requests('getChat')[0] as Sent, 'RATE_LIMITED', { retryAfterMs: 5000 });
    const held = Array.from({ length: 10 }, (_, i) =>
      client.request('getChat', { chatId: `c${i + 1}` }).catch((e: unknown) => e),
    );
    await flush(5000);
    expect(chatIds(1)).toEqual(['c1', 'c2', 'c3', 'c4']);
    const answer = (chatId: string) =>
      socket.ack(socket.requests('getChat').find((r) => r.chatId === chatId) as Sent, { chat: { chatId } });
    answer('c1');
    await flush();
    expect(chatIds(5)).toEqual(['c5']);
    // Asked now: behind the ones still held.
    const late = client.request('getChat', { chatId: 'late' }).catch((e: unknown) => e);
    // The limit is spent again: the first refusal shuts the gate before the others leave.
    const c2 = socket.requests('getChat').find((r) => r.chatId === 'c2') as Sent;
    socket.error(c2, 'RATE_LIMITED', { retryAfterMs: 3000 });
    for (const chatId of ['c3', 'c4', 'c5']) answer(chatId);
    await flush(2990);
    expect(chatIds(6)).toEqual([]);
    await flush(20);
    expect(chatIds(6)).toEqual(['c6', 'c7', 'c8', 'c9']);
    for (const chatId of ['c6', 'c7', 'c8', 'c9']) answer(chatId);
    await flush();
    expect(chatIds(10)).toEqual(['c10', 'late']);
    answer('c10');
    answer('late');
    const outcomes = await Promise.all([...held, late]);
    expect(
      outcomes.map((o) => (o as { chat?: { chatId: string } }).chat?.chatId ?? (o as { code: string }).code),
    ).toEqual(['c1', 'RATE_LIMITED', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9', 'c10', 'late']);
    // The gate is gone: the next one goes at once, however many are unanswered.
    for (let i = 0; i < 6; i++) void client.request('getChat', { chatId: `n${i}` }).catch(() => undefined);
    expect(chatIds(12)).toHaveLength(6);
  });

  it('fails what it still holds with CLOSED when the client closes while letting them out', async () => {
    const { client } = await open({ requestTimeoutMs: 60_000 });
    const socket = FakeSocket.last;
    void client.request('getChat', { chatId: 'c0' }).catch(() => undefined);
    socket.error(socket.requests('getChat')[0] as Sent, 'RATE_LIMITED', { retryAfterMs: 1000 });
    const held = Array.from({ length: 6 }, (_, i) =>
      client.request('getChat', { chatId: `c${i + 1}` }).catch((e: unknown) => e),
    );
    await flush(1000);
    expect(socket.requests('getChat')).toHaveLength(1 + RELEASE_BATCH);
    client.close();
    const codes = (await Promise.all(held)).map((e) => (e as { code: string }).code);
    expect(codes).toEqual(['CLOSED', 'CLOSED', 'CLOSED', 'CLOSED', 'CLOSED', 'CLOSED']);
    await flush(5000);
    expect(socket.requests('getChat')).toHaveLength(1 + RELEASE_BATCH);
  });

  it('fails what it holds with CLOSED when the client closes', async () => {
    const { client } = await open();
    const socket = FakeSocket.last;
    void client.request('getChat', { chatId: 'c1' }).catch(() => undefined);
    socket.error(socket.requests('getChat')[0] as Sent, 'RATE_LIMITED', { retryAfterMs: 3000 });
    const held = client.request('getChat', { chatId: 'c2' });
    client.close();
    await expect(held).rejects.toMatchObject({ code: 'CLOSED' });
    await flush(5000);
    expect(socket.requests('getChat')).toHaveLength(1);
  });
});

describe('the outbox across chats', () => {
  it("a refused action holds its own slots only: another action's changes go out meanwhile", async () => {
    const server = new FakeServer();
    for (let i = 0; i < 6; i++) server.chat(`c${i}`);
    const { client } = await open();
    const socket = FakeSocket.last;
    const settled = (p: Promise<unknown>) => p.catch(() => undefined);
    void settled(client.react('c0', 'm1', '👍'));
    await flush();
    socket.error(socket.requests('react')[0] as Sent, 'RATE_LIMITED', { retryAfterMs: 60_000 });
    await flush();
    // Reactions in four more chats: held by the shut gate, as many as SENDS_IN_FLIGHT.
    for (let i = 1; i <= SENDS_IN_FLIGHT; i++) void settled(client.react(`c${i}`, 'm1', '👍'));
    await flush();
    expect(socket.requests('react')).toHaveLength(1);
    // A send in another chat is not held behind them.
    void settled(client.sendMessage('c5', 'hello'));
    await flush();
    expect(socket.requests('sendMessage').map((r) => r.chatId)).toEqual(['c5']);
  });

  it(`keeps at most SENDS_IN_FLIGHT (${SENDS_IN_FLIGHT}) changes in flight, one per chat, in order`, async () => {
    const server = new FakeServer();
    const chats = Array.from({ length: 10 }, (_, i) => `c${i}`);
    for (const chatId of chats) server.chat(chatId);
    const { client } = fakeClient({ sync: false });
    const sends = chats.flatMap((chatId) => [0, 1].map((n) => client.sendMessage(chatId, `${chatId}-${n}`)));
    await flush();
    const socket = FakeSocket.last;
    socket.open();
    let most = 0;
    for (let round = 0; round < 100 && socket.requests('sendMessage').length < 20; round++) {
      const waiting = socket.requests('sendMessage').filter((r) => !server.answered.has(r.requestId));
      most = Math.max(most, waiting.length);
      expect(new Set(waiting.map((r) => r.chatId)).size).toBe(waiting.length);
      const next = waiting[0];
      server.serve(socket, (r) => r !== next);
      await flush();
    }
    server.serve(socket);
    const acked = await Promise.all(sends);
    expect(most).toBe(SENDS_IN_FLIGHT);
    for (const chatId of chats) {
      const texts = (messages: readonly { chatId: string; text: string }[]) =>
        messages.filter((m) => m.chatId === chatId).map((m) => m.text);
      expect(texts(socket.requests('sendMessage') as never)).toEqual([`${chatId}-0`, `${chatId}-1`]);
      expect(texts(acked)).toEqual([`${chatId}-0`, `${chatId}-1`]);
    }
  });
});
