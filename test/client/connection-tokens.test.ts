/**
 * The connection and its tokens on a fake socket and fake timers: reconnecting for a fresh token
 * before exp, refused handshakes and expired tokens. `sync: false` keeps the catch-up out of the way.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatClientError } from '../../client/src/index.ts';
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

describe('reconnecting for a fresh token', () => {
  it('reconnects with a fresh token a minute before the token expires (token function only)', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    let n = 0;
    const token = vi.fn(async () => jwt({ exp: exp + 3600 * n++ }));
    const { states } = fakeClient({ ...bare, token, pingIntervalMs: 10_000_000 });
    await flush();
    FakeSocket.last.open();
    await flush(539_000);
    expect(FakeSocket.all).toHaveLength(1);
    await flush(1_000);
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', reason: 'planned', delayMs: 0 });
    await flush();
    // The token got before the drop is the one the new socket uses: no third call.
    expect(token).toHaveBeenCalledTimes(2);
    expect(FakeSocket.all).toHaveLength(2);
    expect(FakeSocket.last.token).toBe(jwt({ exp: exp + 3600 }));
    expect(FakeSocket.all[0]?.closed?.code).toBe(1000);
  });

  it('a token function that hands out the same token until exp keeps the socket: no reconnect loop', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const token = vi.fn(async () => jwt({ exp }));
    const { client, states } = fakeClient({ ...bare, token, pingIntervalMs: 10_000_000 });
    await flush();
    FakeSocket.last.open();
    await flush(535_000);
    // The last minute before exp, second by second; every new socket opens at once (a fast server).
    const opened = new Set<FakeSocket>([FakeSocket.last]);
    for (let s = 0; s < 63; s++) {
      await flush(1_000);
      const socket = FakeSocket.last;
      if (!opened.has(socket)) {
        opened.add(socket);
        socket.open();
      }
    }
    expect(FakeSocket.all).toHaveLength(1);
    expect(client.state).toBe('open');
    // Asked a few times in the last minute (at −60, −55, −45, −30, −15 and −2 s), not in a loop.
    expect(token.mock.calls.length).toBeLessThanOrEqual(7);
    // At exp the socket goes; the same (now expired) token is refused, asked once more, then closed.
    await flush(2_000);
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', reason: 'token-expired', delayMs: 0 });
    await flush();
    FakeSocket.last.refuse();
    await flush();
    FakeSocket.last.refuse();
    expect(states.at(-1)).toMatchObject({ state: 'closed', reason: 'unauthorized' });
    await flush(600_000);
    expect(FakeSocket.all).toHaveLength(3);
  });

  it('replaces the socket before exp once the token function gives a fresher token (a cache renewing 5 s before exp)', async () => {
    const start = Date.now();
    const exp = Math.floor(start / 1000) + 600;
    const token = vi.fn(async () => jwt({ exp: Date.now() < exp * 1000 - 5_000 ? exp : exp + 3600 }));
    const { states } = fakeClient({ ...bare, token, pingIntervalMs: 10_000_000 });
    await flush();
    FakeSocket.last.open();
    await flush(598_000 - (Date.now() - start)); // the last ask, 2 s before exp
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', reason: 'planned' });
    await flush();
    expect(FakeSocket.all).toHaveLength(2);
    expect(FakeSocket.last.token).toBe(jwt({ exp: exp + 3600 }));
    FakeSocket.last.open();
    await flush(10_000);
    expect(FakeSocket.all).toHaveLength(2);
    expect(states.at(-1)?.state).toBe('open');
  });

  it('a socket opened with a token about to expire is not dropped at once', async () => {
    const exp = Math.floor(Date.now() / 1000) + 30;
    const token = vi.fn(async () => jwt({ exp }));
    const { client } = fakeClient({ ...bare, token, pingIntervalMs: 10_000_000 });
    await flush();
    FakeSocket.last.open();
    await flush(29_000);
    expect(client.state).toBe('open');
    expect(FakeSocket.all).toHaveLength(1);
    expect(token.mock.calls.length).toBeLessThanOrEqual(5);
  });
});

describe('refused handshakes and expired tokens', () => {
  it('401: asks the token function once more, then stops in closed/unauthorized without a loop', async () => {
    const token = vi.fn(async () => jwt());
    const { states } = fakeClient({ ...bare, token });
    await flush();
    FakeSocket.last.refuse(401);
    expect(states.at(-1)).toMatchObject({
      state: 'reconnecting',
      reason: 'unauthorized',
      status: 401,
      delayMs: 0,
    });
    await flush();
    FakeSocket.last.refuse(401);
    expect(states.at(-1)).toMatchObject({ state: 'closed', reason: 'unauthorized', status: 401 });
    await flush(3_600_000);
    expect(FakeSocket.all).toHaveLength(2);
    expect(token).toHaveBeenCalledTimes(2);
  });

  it('a static token refused with 403 stops at once', async () => {
    const { states } = fakeClient(bare);
    await flush();
    FakeSocket.last.refuse(403);
    expect(states.at(-1)).toMatchObject({ state: 'closed', reason: 'unauthorized', status: 403 });
  });

  it('a refusal without a status (browsers) counts as unauthorized when the JWT has expired', async () => {
    const { states } = fakeClient({ ...bare, token: jwt({ exp: Math.floor(Date.now() / 1000) - 10 }) });
    await flush();
    FakeSocket.last.refuse();
    expect(states.at(-1)).toMatchObject({ state: 'closed', reason: 'unauthorized', status: 401 });
  });

  it('a refusal without a status and a valid token is a network failure: backoff, keep trying', async () => {
    const { states } = fakeClient(bare);
    await flush();
    FakeSocket.last.refuse();
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', reason: 'failed' });
  });

  it('TOKEN_EXPIRED: drops the socket and reconnects at once with a fresh token', async () => {
    let n = 0;
    const token = vi.fn(async () => jwt({ sub: 'me', name: `t${++n}` }));
    const { client, states } = fakeClient({ ...bare, token });
    await flush();
    FakeSocket.last.open();
    const reply = client.request('listChats').catch((e: ChatClientError) => e.code);
    FakeSocket.last.error(FakeSocket.last.requests('listChats')[0] as never, 'TOKEN_EXPIRED');
    expect(await reply).toBe('TOKEN_EXPIRED');
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', reason: 'token-expired', delayMs: 0 });
    await flush();
    expect(token).toHaveBeenCalledTimes(2);
    expect(FakeSocket.all).toHaveLength(2);
  });

  it('TOKEN_EXPIRED with a static token stops in closed/token-expired', async () => {
    const { client, states } = fakeClient(bare);
    await flush();
    FakeSocket.last.open();
    const reply = client.request('listChats').catch(() => undefined);
    FakeSocket.last.error(FakeSocket.last.requests('listChats')[0] as never, 'TOKEN_EXPIRED');
    await reply;
    expect(states.at(-1)).toMatchObject({ state: 'closed', reason: 'token-expired' });
  });
});
