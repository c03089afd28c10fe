/**
 * A gate opens when its timer fires, whatever the clocks say (client/src/gate.ts): a timer that
 * fires a little before Date.now() reaches the due time (about 1 in 70 in Node), or a wall clock
 * set back while the gate is shut, used to leave it shut for good: its held requests never went nor
 * failed, and every later request of the action queued behind them until close().
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeServer } from './support/fake-server.ts';
import { FakeSocket, type Sent } from './support/fake-socket.ts';
import { fakeClient, flush } from './support/harness.ts';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => {
  vi.useRealTimers();
  FakeSocket.reset();
});

describe('a gate and the clocks', () => {
  it('real timers: a 2 ms gate opens every time (400 refusals)', async () => {
    let stalled = -1;
    for (let i = 0; i < 400 && stalled < 0; i++) {
      FakeSocket.reset();
      const { client } = fakeClient({ sync: false, requestTimeoutMs: 60_000 });
      await wait(0);
      const socket = FakeSocket.last;
      socket.open();
      void client.request('getChat', { chatId: 'c0' }).catch(() => undefined);
      socket.error(socket.requests('getChat')[0] as Sent, 'RATE_LIMITED', { retryAfterMs: 2 });
      const held = client.request('getChat', { chatId: 'c1' }).catch((e: unknown) => e);
      for (let waited = 0; waited < 200 && socket.requests('getChat').length < 2; waited++) await wait(1);
      const second = socket.requests('getChat')[1];
      if (second) socket.ack(second, { chat: { chatId: 'c1' } });
      else stalled = i;
      client.close();
      await held;
    }
    expect(stalled, 'the refusal after which the held request was never sent').toBe(-1);
  });

  it('the wall clock set back 2 s while shut: the held request goes after retryAfterMs', async () => {
    vi.useFakeTimers();
    const { client } = fakeClient({ sync: false, requestTimeoutMs: 60_000 });
    await flush();
    const socket = FakeSocket.last;
    socket.open();
    void client.request('getChat', { chatId: 'c0' }).catch(() => undefined);
    socket.error(socket.requests('getChat')[0] as Sent, 'RATE_LIMITED', { retryAfterMs: 5000 });
    const held = client.request('getChat', { chatId: 'c1' });
    vi.setSystemTime(Date.now() - 2000);
    await flush(4990);
    expect(socket.requests('getChat')).toHaveLength(1);
    await flush(20);
    const sent = socket.requests('getChat')[1] as Sent;
    expect(sent.chatId).toBe('c1');
    socket.ack(sent, { chat: { chatId: 'c1' } });
    await expect(held).resolves.toMatchObject({ chat: { chatId: 'c1' } });
    // The gate is gone: the next request goes at once.
    void client.request('getChat', { chatId: 'c2' }).catch(() => undefined);
    expect(socket.requests('getChat')).toHaveLength(3);
    client.close();
  });

  it('the outbox: sendMessage refused, the clock set back 1 s: the sends go on', async () => {
    vi.useFakeTimers();
    const server = new FakeServer();
    server.chat('c1');
    server.chat('c2');
    const { client } = fakeClient({ sync: false });
    await flush();
    const socket = FakeSocket.last;
    socket.open();
    const sends = [client.sendMessage('c1', 'a'), client.sendMessage('c2', 'b')];
    await flush();
    expect(socket.requests('sendMessage')).toHaveLength(2);
    const [a, b] = socket.requests('sendMessage') as [Sent, Sent];
    socket.error(a, 'RATE_LIMITED', { retryAfterMs: 5000 });
    vi.setSystemTime(Date.now() - 1000);
    socket.error(b, 'RATE_LIMITED', { retryAfterMs: 5000 });
    await flush(5100);
    for (let i = 0; i < 5; i++) {
      server.serve(socket);
      await flush(10);
    }
    expect(client.pending()).toEqual([]);
    expect((await Promise.all(sends)).map((m) => m.text)).toEqual(['a', 'b']);
    client.close();
  });
});
