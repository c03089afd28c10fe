/**
 * The connection state machine on a fake socket and fake timers: states, backoff with full jitter,
 * keep-alive, planned reconnects, timeouts and typed errors (tokens: connection-tokens.test.ts).
 * `sync: false` keeps the catch-up out of the way (the sync tests cover it).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatClientError } from '../../client/src/index.ts';
import { FakeSocket } from './support/fake-socket.ts';
import { fakeClient, flush, jwt } from './support/harness.ts';

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.reset();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const bare = { sync: false } as const;

describe('lifecycle', () => {
  it('goes connecting → open, puts the token in the query string, and matches replies by requestId', async () => {
    const { client, states } = fakeClient({ ...bare, token: jwt({ sub: 'alice' }) });
    await flush();
    expect(client.state).toBe('connecting');
    const socket = FakeSocket.last;
    expect(socket.url.startsWith('ws://chat.test/prod?token=')).toBe(true);
    expect(socket.token).toBe(jwt({ sub: 'alice' }));
    socket.open();
    expect(states.map((s) => s.state)).toEqual(['open']);
    expect(client.userId).toBe('alice');

    const a = client.request('getChat', { chatId: 'c1' });
    const b = client.request('listChats');
    const [ra, rb] = socket.requests();
    expect(ra).toMatchObject({ action: 'getChat', chatId: 'c1' });
    expect(rb?.action).toBe('listChats');
    expect(ra?.requestId).not.toBe(rb?.requestId);
    socket.ack(rb as never, { chats: [], nextCursor: null });
    socket.ack(ra as never, { chat: { chatId: 'c1' } });
    expect((await a).chat.chatId).toBe('c1');
    expect((await b).chats).toEqual([]);
  });

  it('rejects with a typed error carrying code, action and retryAfterMs', async () => {
    const { client } = fakeClient(bare);
    await flush();
    FakeSocket.last.open();
    const reply = client.request('sendMessage', { chatId: 'c1', text: 'hi' });
    const request = FakeSocket.last.requests('sendMessage')[0];
    FakeSocket.last.error(request as never, 'RATE_LIMITED', { retryAfterMs: 1200 });
    const error = await reply.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatClientError);
    expect(error).toMatchObject({ code: 'RATE_LIMITED', action: 'sendMessage', retryAfterMs: 1200 });
  });

  it('does not write to a socket already closing: the request goes out on the next one', async () => {
    const { client } = fakeClient(bare);
    await flush();
    const first = FakeSocket.last;
    first.open();
    first.readyState = 2; // the browser went offline: closing, its close event not yet fired
    const reply = client.request('getChat', { chatId: 'c1' });
    expect(first.requests('getChat')).toEqual([]);
    first.serverClose(1006);
    await vi.advanceTimersByTimeAsync(1_000); // the first reconnect: within 500 ms (full jitter)
    const second = FakeSocket.last;
    expect(second).not.toBe(first);
    second.open();
    const [request] = second.requests('getChat');
    expect(request).toMatchObject({ chatId: 'c1' });
    second.ack(request as never, { chat: { chatId: 'c1' } });
    expect((await reply).chat.chatId).toBe('c1');
  });

  it('holds requests made while not open and sends them once the socket opens', async () => {
    const { client } = fakeClient(bare);
    const reply = client.request('ping');
    await flush();
    expect(FakeSocket.last.sent).toEqual([]);
    FakeSocket.last.open();
    const [ping] = FakeSocket.last.requests('ping');
    FakeSocket.last.ack(ping as never);
    await expect(reply).resolves.toMatchObject({ type: 'pong' });
  });

  it('times out a request without a reply, then probes the socket and drops it when the ping is not answered', async () => {
    const { client, states } = fakeClient({ ...bare, requestTimeoutMs: 1000 });
    await flush();
    FakeSocket.last.open();
    const reply = client.request('getChat', { chatId: 'c1' }).catch((e: ChatClientError) => e.code);
    await flush(1000);
    expect(await reply).toBe('TIMEOUT');
    expect(FakeSocket.last.requests('ping')).toHaveLength(1);
    await flush(1000);
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', reason: 'timeout' });
    expect(FakeSocket.all[0]?.closed).toBeDefined();
  });

  it('a close with 1009 fails the largest request in flight with PAYLOAD_TOO_LARGE; the others are DISCONNECTED', async () => {
    const { client } = fakeClient(bare);
    await flush();
    FakeSocket.last.open();
    const small = client.request('listChats').catch((e: ChatClientError) => e.code);
    const big = client
      .request('sendMessage', { chatId: 'c1', text: 'x'.repeat(30_000) })
      .catch((e: ChatClientError) => e);
    FakeSocket.last.serverClose(1009);
    expect(await small).toBe('DISCONNECTED');
    expect(await big).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', action: 'sendMessage' });
    expect(client.state).toBe('reconnecting');
  });

  it('close() stops everything: pending requests reject with CLOSED and nothing reconnects', async () => {
    const { client, states } = fakeClient(bare);
    await flush();
    FakeSocket.last.open();
    const reply = client.request('listChats').catch((e: ChatClientError) => e.code);
    client.close();
    expect(await reply).toBe('CLOSED');
    expect(states.at(-1)).toMatchObject({ state: 'closed', reason: 'closed-by-client' });
    await flush(600_000);
    expect(FakeSocket.all).toHaveLength(1);
    await expect(client.request('ping')).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('close() ends the retry waits of request(…, { retries }) (a RATE_LIMITED minute): no timer is left', async () => {
    const { client } = fakeClient();
    await flush();
    FakeSocket.last.open();
    await flush();
    // The catch-up's listChats (retries: 2) refused with a minute to wait, and one of the app's own.
    const list = FakeSocket.last.requests('listChats')[0];
    FakeSocket.last.error(list as never, 'RATE_LIMITED', { retryAfterMs: 60_000 });
    const own = client.request('getChat', { chatId: 'c1' }, { retries: 2 }).catch((e: ChatClientError) => e);
    await flush();
    FakeSocket.last.error(FakeSocket.last.requests('getChat')[0] as never, 'INTERNAL');
    await flush();
    await client.close();
    await flush();
    expect(await own).toMatchObject({ code: 'CLOSED', action: 'getChat' });
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('reconnecting', () => {
  it('backs off with full jitter, growing per failed attempt up to the cap, and resets after a reply', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const { client, states } = fakeClient({ ...bare, backoffBaseMs: 100, backoffMaxMs: 1000 });
    await flush();
    FakeSocket.last.open();
    FakeSocket.last.serverClose(1006);
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const change = states.at(-1);
      expect(change?.state).toBe('reconnecting');
      delays.push(change?.delayMs ?? -1);
      await flush(change?.delayMs ?? 0);
      FakeSocket.last.refuse();
    }
    // min(cap, base·2^attempt) · random
    expect(delays).toEqual([50, 100, 200, 400, 500, 500]);
    await flush(states.at(-1)?.delayMs ?? 0);
    FakeSocket.last.open();
    const ping = client.request('ping');
    FakeSocket.last.ack(FakeSocket.last.requests('ping')[0] as never);
    await ping;
    FakeSocket.last.serverClose(1001);
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', reason: 'closed', code: 1001, delayMs: 50 });
    expect(client.stats.reconnects).toBe(2);
  });

  it('suspend(): closes the socket and dials nothing, also when asked while connecting, until reconnectNow', async () => {
    let release: (token: string) => void = () => undefined;
    const token = () => new Promise<string>((resolve) => (release = resolve));
    const { client, states } = fakeClient({ ...bare, token });
    await flush();
    client.suspend(); // the token function is still running
    release(jwt({ sub: 'alice' }));
    await flush(60_000);
    expect(FakeSocket.all).toHaveLength(0);
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', reason: 'suspended' });
    client.reconnectNow();
    release(jwt({ sub: 'alice' }));
    await flush();
    FakeSocket.last.open();
    expect(client.state).toBe('open');
    client.suspend();
    expect(FakeSocket.last.closed).toMatchObject({ code: 1000 });
    await flush(60_000);
    expect(FakeSocket.all).toHaveLength(1);
    client.reconnectNow();
    release(jwt({ sub: 'alice' }));
    await flush();
    expect(FakeSocket.all).toHaveLength(2);
  });

  it('closes a socket that opens after it was given up (React Native on Android ignores close() while connecting)', async () => {
    const { client } = fakeClient(bare);
    await flush();
    const socket = FakeSocket.last;
    // RN Android's WebSocketModule drops a close() of a socket still connecting, and opens it later.
    const closes: (number | undefined)[] = [];
    socket.close = (code?: number) => {
      closes.push(code);
      if (closes.length > 1) socket.closed = { code };
    };
    client.suspend();
    expect(socket.closed).toBeUndefined();
    socket.open();
    expect(closes).toEqual([1000, 1000]);
    expect(socket.closed).toMatchObject({ code: 1000 });
    expect(client.state).not.toBe('open');
  });

  it('asks the token function again for every new socket', async () => {
    let n = 0;
    const token = vi.fn(async () => jwt({ sub: `u${++n}` }));
    const { client } = fakeClient({ ...bare, token });
    await flush();
    FakeSocket.last.open();
    FakeSocket.last.serverClose(1001);
    await flush(10_000);
    expect(token).toHaveBeenCalledTimes(2);
    expect(FakeSocket.last.token).toBe(jwt({ sub: 'u2' }));
    FakeSocket.last.open();
    expect(client.userId).toBe('u2');
  });

  it('pings after pingIntervalMs without sending, and not while requests flow', async () => {
    const { client } = fakeClient({ ...bare, pingIntervalMs: 60_000 });
    await flush();
    const socket = FakeSocket.last;
    socket.open();
    await flush(59_000);
    void client.request('listChats');
    socket.ack(socket.requests('listChats')[0] as never, { chats: [], nextCursor: null });
    await flush(59_000);
    expect(socket.requests('ping')).toHaveLength(0);
    await flush(1000);
    expect(socket.requests('ping')).toHaveLength(1);
    socket.ack(socket.requests('ping')[0] as never);
    await flush(60_000);
    expect(socket.requests('ping')).toHaveLength(2);
  });

  it('reconnects at once before the socket reaches maxSocketAgeMs (planned, no backoff)', async () => {
    const { states } = fakeClient({ ...bare, maxSocketAgeMs: 7_000_000, pingIntervalMs: 10_000_000 });
    await flush();
    const first = FakeSocket.last;
    first.open();
    await flush(7_000_000);
    expect(first.closed?.code).toBe(1000);
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', reason: 'planned', delayMs: 0 });
    await flush();
    expect(FakeSocket.all).toHaveLength(2);
  });
});
