/**
 * The outbox matches a change by its chat and id: the server dedupes a `clientMessageId` per sender
 * and chat (docs/protocol.md), so the same one in two chats is two messages. Both are queued, sent,
 * stored and resolved with their own message, also across a restart (a stored send, then the same
 * id in another chat before or after the load); `discard(id)` drops the first queued of the two
 * that is not in flight.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ChatClient, MemoryStore } from '../../client/src/index.ts';
import { FakeServer } from './support/fake-server.ts';
import { FakeSocket } from './support/fake-socket.ts';
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
});

/** Opens the socket and answers every request until nothing more is asked. */
async function serve() {
  await flush();
  FakeSocket.last.open();
  for (let i = 0; i < 20; i++) {
    await flush();
    server.serve(FakeSocket.last);
  }
}

const pending = (client: ChatClient) => client.pending().map((e) => `${e.chatId}:${e.fields.text}`);
const stored = (a: string, text: string) => ({
  id: 'k1',
  chatId: a,
  action: 'sendMessage' as const,
  fields: { chatId: a, text, clientMessageId: 'k1' },
  createdAt: '',
  attempts: 0,
});

describe('the same clientMessageId in two chats', () => {
  it('is two sends: both go out and resolve with their own message', async () => {
    const { client } = fakeClient({ sync: false });
    const toA = client.sendMessage('a', 'hello A', { clientMessageId: 'k1' });
    const toB = client.sendMessage('b', 'hello B', { clientMessageId: 'k1' });
    expect(pending(client)).toEqual(['a:hello A', 'b:hello B']);
    await serve();
    await expect(toA).resolves.toMatchObject({ chatId: 'a', text: 'hello A' });
    await expect(toB).resolves.toMatchObject({ chatId: 'b', text: 'hello B' });
    expect(server.get('a').messages.map((m) => m.text)).toEqual(['hello A']);
    expect(server.get('b').messages.map((m) => m.text)).toEqual(['hello B']);
    expect(client.pending()).toEqual([]);
  });

  it('in the same chat it is still one change: one frame, and both calls resolve with it', async () => {
    const { client } = fakeClient({ sync: false });
    const sends = [
      client.sendMessage('a', 'hello', { clientMessageId: 'k1' }),
      client.sendMessage('a', 'hello again', { clientMessageId: 'k1' }),
      client.sendMessage('b', 'hello B', { clientMessageId: 'k1' }),
    ];
    expect(pending(client)).toEqual(['a:hello', 'b:hello B']);
    await serve();
    expect(FakeSocket.last.requests('sendMessage').map((r) => r.chatId)).toEqual(['a', 'b']);
    expect((await Promise.all(sends)).map((m) => `${m.chatId}:${m.text}`)).toEqual([
      'a:hello',
      'a:hello',
      'b:hello B',
    ]);
  });

  for (const when of ['before', 'after'] as const) {
    it(`a stored send and the same id in another chat ${when} the load: both go out`, async () => {
      const store = new MemoryStore();
      store.outbox = [stored('a', 'stored in a')];
      const { client } = fakeClient({ sync: false, store });
      if (when === 'after') await flush(10);
      const toB = client.sendMessage('b', 'new in b', { clientMessageId: 'k1' });
      await flush(10);
      expect(pending(client)).toEqual(['a:stored in a', 'b:new in b']);
      expect(store.outbox.map((e) => e.chatId)).toEqual(['a', 'b']);
      await serve();
      await expect(toB).resolves.toMatchObject({ chatId: 'b', text: 'new in b' });
      expect(server.get('a').messages.map((m) => m.text)).toEqual(['stored in a']);
      expect(server.get('b').messages.map((m) => m.text)).toEqual(['new in b']);
    });
  }

  it('discard(id) drops the first queued; the other still goes', async () => {
    const { client } = fakeClient({ sync: false });
    const toA = client.sendMessage('a', 'hello A', { clientMessageId: 'k1' });
    const toB = client.sendMessage('b', 'hello B', { clientMessageId: 'k1' });
    await flush();
    expect(client.discard('k1')).toBe(true);
    await expect(toA).rejects.toMatchObject({ code: 'CLOSED' });
    expect(pending(client)).toEqual(['b:hello B']);
    await serve();
    await expect(toB).resolves.toMatchObject({ chatId: 'b', text: 'hello B' });
    expect(server.get('a').messages).toEqual([]);
  });

  it('discard(id) passes over the one in flight and drops the other, queued in its chat', async () => {
    const { client } = fakeClient({ sync: false });
    const toA = client.sendMessage('a', 'hello A', { clientMessageId: 'k1' });
    const first = client.sendMessage('b', 'first in b');
    const toB = client.sendMessage('b', 'hello B', { clientMessageId: 'k1' });
    await flush();
    FakeSocket.last.open();
    await flush();
    // In flight: A's k1 and b's first; B's k1 waits behind the latter.
    expect(FakeSocket.last.requests('sendMessage').map((r) => r.text)).toEqual(['hello A', 'first in b']);
    expect(client.discard('k1')).toBe(true);
    await expect(toB).rejects.toMatchObject({ code: 'CLOSED' });
    expect(pending(client)).toEqual(['a:hello A', 'b:first in b']);
    expect(client.discard('k1')).toBe(false);
    await serve();
    await expect(toA).resolves.toMatchObject({ chatId: 'a', text: 'hello A' });
    await expect(first).resolves.toMatchObject({ chatId: 'b', text: 'first in b' });
    expect(server.get('b').messages.map((m) => m.text)).toEqual(['first in b']);
  });
});
