/**
 * `syncNow()` as docs/react-native.md uses it: the app calls `suspend()` on `background` (or right
 * after `connect()` when a push started it in the background), and a push handler calls `syncNow()`.
 * A suspended client dials for that sync and is suspended again after it; a sync that could not
 * happen (no socket opened) rejects rather than resolving as if it had worked.
 */
import { describe, expect, it } from 'vitest';
import { ChatClientError } from '../../client/src/index.ts';
import { FakeSocket } from './support/fake-socket.ts';
import { fakeClient, flush, jwt } from './support/harness.ts';
import { serveAll, server, started, texts, useSyncHarness } from './support/sync-harness.ts';

useSyncHarness();

/** A started client holding chat `a`, then suspended (the app went to the background). */
async function suspended() {
  server.chat('a');
  const h = await started({ token: () => jwt() });
  h.client.suspend();
  await flush();
  expect(h.states.at(-1)).toMatchObject({ state: 'reconnecting', reason: 'suspended' });
  server.add('a', 'while away');
  return { ...h, sockets: FakeSocket.all.length };
}

describe('syncNow on a suspended client (a push woke the app in the background)', () => {
  it('dials, catches up, and is suspended again once done', async () => {
    const { client, states, sockets } = await suspended();
    const synced = client.syncNow();
    await flush();
    expect(FakeSocket.all).toHaveLength(sockets + 1);
    FakeSocket.last.open();
    await serveAll();
    await synced;
    expect(texts(client, 'a')).toEqual(['while away']);
    // Suspended again: the socket closed cleanly, and nothing is dialed however long it waits.
    expect(FakeSocket.last.closed).toMatchObject({ code: 1000 });
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', reason: 'suspended' });
    await flush(10 * 60_000);
    expect(FakeSocket.all).toHaveLength(sockets + 1);
    client.reconnectNow();
    await flush();
    expect(FakeSocket.all).toHaveLength(sockets + 2);
  });

  it('rejects when no socket opened in time, and stays suspended', async () => {
    const { client, sockets } = await suspended();
    const outcome = client.syncNow().then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await flush();
    const dialed = FakeSocket.last;
    expect(FakeSocket.all).toHaveLength(sockets + 1);
    // The socket never opens (no network): listChats waits unsent until its timeouts run out.
    await flush(5 * 60_000);
    const error = await outcome;
    expect(error).toBeInstanceOf(ChatClientError);
    expect(error).toMatchObject({ code: 'TIMEOUT', action: 'listChats' });
    expect(FakeSocket.last).toBe(dialed);
    expect(dialed.closed).toMatchObject({ code: 1000 });
    await flush(10 * 60_000);
    expect(FakeSocket.all).toHaveLength(sockets + 1);
  });

  it('stays connected when the app comes to the foreground (reconnectNow) during the sync', async () => {
    const { client, sockets } = await suspended();
    const synced = client.syncNow();
    await flush();
    client.reconnectNow();
    FakeSocket.last.open();
    await serveAll();
    await synced;
    expect(client.state).toBe('open');
    expect(FakeSocket.last.closed).toBeUndefined();
    expect(FakeSocket.all).toHaveLength(sockets + 1);
  });

  it('keeps the socket for a second syncNow still running, then suspends', async () => {
    const { client, states } = await suspended();
    const first = client.syncNow();
    const second = client.syncNow('a');
    await flush();
    FakeSocket.last.open();
    await serveAll();
    await Promise.all([first, second]);
    expect(texts(client, 'a')).toEqual(['while away']);
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', reason: 'suspended' });
  });
});

describe('a client suspended as it is created (a push started the app in the background)', () => {
  // docs/react-native.md: `connect()` at module scope, then `suspend()` at once when
  // `AppState.currentState` is not 'active' (no 'change' event comes for a background start).
  it.each([
    ['a token function', () => jwt()],
    ['a token string', jwt()],
  ])('with %s: dials nothing; a syncNow dials and suspends again; reconnectNow dials', async (_, token) => {
    server.chat('a');
    server.add('a', 'while the app was killed');
    const { client, states } = fakeClient({ gapMs: 2000, deliveredIntervalMs: 3000, token });
    client.suspend();
    await flush(10 * 60_000);
    expect(FakeSocket.all).toHaveLength(0);
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', reason: 'suspended' });

    const synced = client.syncNow();
    await flush();
    expect(FakeSocket.all).toHaveLength(1);
    FakeSocket.last.open();
    await serveAll();
    await synced;
    expect(texts(client, 'a')).toEqual(['while the app was killed']);
    expect(FakeSocket.last.closed).toMatchObject({ code: 1000 });
    await flush(10 * 60_000);
    expect(FakeSocket.all).toHaveLength(1);

    client.reconnectNow(); // AppState 'change' to 'active'
    await flush();
    expect(FakeSocket.all).toHaveLength(2);
  });
});

describe('syncNow on an open client', () => {
  it("rejects when a chat's catch-up fails, and resolves once it can", async () => {
    server.chat('a');
    const { client } = await started();
    server.add('a', 'new');
    const synced = client.syncNow('a');
    await flush();
    const socket = FakeSocket.last;
    const sync = socket.requests('sync').at(-1);
    if (!sync) throw new Error('no sync sent');
    server.answered.add(sync.requestId);
    socket.error(sync, 'FORBIDDEN');
    await expect(synced).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const again = client.syncNow();
    await serveAll();
    await again;
    expect(texts(client, 'a')).toEqual(['new']);
  });
});
