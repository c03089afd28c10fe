/**
 * The outbox and the store (client/src/outbox.ts, replica.ts, writer.ts): changes added before the
 * store has loaded go after the stored ones and overwrite nothing; a change is sent only once the
 * store holds it; a flush of n changes writes O(n) outbox entries to the store in all, in a few
 * saves (it was two saves per change, each with the whole outbox: O(n²), 16 M entries for 4,000);
 * a send again with the clientMessageId of a stored one (after a restart) is that one.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ClientStore, connect, MemoryStore, type StoreChanges } from '../../client/src/index.ts';
import { FakeServer } from './support/fake-server.ts';
import { FakeSocket } from './support/fake-socket.ts';
import { fakeClient, flush, jwt } from './support/harness.ts';

afterEach(() => {
  vi.useRealTimers();
  FakeSocket.reset();
});

const entry = (id: string, text: string) => ({
  id,
  chatId: 'c1',
  action: 'sendMessage' as const,
  fields: { chatId: 'c1', text, clientMessageId: id },
  createdAt: '',
  attempts: 0,
});

describe('the outbox before the store has loaded', () => {
  it('a send right after connect() goes after the stored ones of its chat', async () => {
    vi.useFakeTimers();
    const server = new FakeServer();
    server.chat('c1');
    const store = new MemoryStore();
    store.outbox = [entry('o1', 'old-1'), entry('o2', 'old-2')];
    const { client } = fakeClient({ sync: false, store });
    const sent = client.sendMessage('c1', 'new-1');
    await flush(10);
    const socket = FakeSocket.last;
    socket.open();
    for (let i = 0; i < 5; i++) {
      server.serve(socket);
      await flush(5);
    }
    expect(socket.requests('sendMessage').map((r) => r.text)).toEqual(['old-1', 'old-2', 'new-1']);
    await expect(sent).resolves.toMatchObject({ text: 'new-1' });
    client.close();
  });

  it('a slow load: nothing stored is overwritten, nothing is sent twice, a repeated id is kept once', async () => {
    vi.useFakeTimers();
    const server = new FakeServer();
    server.chat('c1');
    const store = new MemoryStore();
    store.outbox = [entry('o1', 'old-1')];
    const slow: ClientStore = {
      load: () => new Promise((resolve) => setTimeout(() => resolve(store.load()), 50)),
      save: (changes: StoreChanges) => store.save(changes),
    };
    const { client } = fakeClient({ sync: false, store: slow });
    const sends = [
      client.sendMessage('c1', 'new-1'),
      client.sendMessage('c1', 'old-1 again', { clientMessageId: 'o1' }),
    ];
    await flush(20);
    expect(
      store.outbox.map((e) => e.id),
      'untouched while loading',
    ).toEqual(['o1']);
    await flush(100);
    expect(client.pending().map((e) => e.fields.text)).toEqual(['old-1', 'new-1']);
    expect(store.outbox.map((e) => e.fields.text)).toEqual(['old-1', 'new-1']);
    const socket = FakeSocket.last;
    socket.open();
    for (let i = 0; i < 5; i++) {
      server.serve(socket);
      await flush(5);
    }
    expect(socket.requests('sendMessage').map((r) => r.text)).toEqual(['old-1', 'new-1']);
    expect((await Promise.all(sends)).map((m) => m.text)).toEqual(['new-1', 'old-1']);
    client.close();
  });

  it('after the load too: a send with the clientMessageId of a stored one is that one, not a second', async () => {
    vi.useFakeTimers();
    const server = new FakeServer();
    server.chat('c1');
    const store = new MemoryStore();
    store.outbox = [entry('o1', 'draft')];
    const { client } = fakeClient({ sync: false, store });
    await flush(10);
    const again = client.sendMessage('c1', 'draft', { clientMessageId: 'o1' });
    await flush(10);
    expect(client.pending().map((e) => e.id)).toEqual(['o1']);
    expect(store.outbox.map((e) => e.id)).toEqual(['o1']);
    const socket = FakeSocket.last;
    socket.open();
    for (let i = 0; i < 5; i++) {
      server.serve(socket);
      await flush(5);
    }
    expect(socket.requests('sendMessage').map((r) => r.clientMessageId)).toEqual(['o1']);
    await expect(again).resolves.toMatchObject({ text: 'draft', clientMessageId: 'o1' });
    expect(client.stats.serverDuplicates).toBe(0);
    client.close();
  });

  it('a stored outbox holding an id twice (written before ids matched across runs) sends it once', async () => {
    vi.useFakeTimers();
    const server = new FakeServer();
    server.chat('c1');
    const store = new MemoryStore();
    store.outbox = [entry('o1', 'draft'), entry('o1', 'draft'), entry('o2', 'next')];
    const { client } = fakeClient({ sync: false, store });
    await flush(10);
    expect(client.pending().map((e) => e.id)).toEqual(['o1', 'o2']);
    const socket = FakeSocket.last;
    socket.open();
    for (let i = 0; i < 5; i++) {
      server.serve(socket);
      await flush(5);
    }
    expect(socket.requests('sendMessage').map((r) => r.clientMessageId)).toEqual(['o1', 'o2']);
    expect(client.pending()).toEqual([]);
    client.close();
  });
});

describe('a change and the store', () => {
  it('is sent only once the store holds it', async () => {
    vi.useFakeTimers();
    const store = new MemoryStore();
    const saves: (() => void)[] = [];
    const held: ClientStore = {
      load: () => store.load(),
      save: (changes) => new Promise((resolve) => saves.push(() => resolve(store.save(changes)))),
    };
    const { client } = fakeClient({ sync: false, store: held });
    await flush();
    const socket = FakeSocket.last;
    socket.open();
    void client.sendMessage('c1', 'hello').catch(() => undefined);
    await flush(100);
    expect(socket.requests('sendMessage'), 'not stored yet').toEqual([]);
    for (let save = saves.shift(); save; save = saves.shift()) {
      save();
      await flush();
    }
    expect(store.outbox.map((e) => e.fields.text)).toEqual(['hello']);
    expect(socket.requests('sendMessage').map((r) => r.text)).toEqual(['hello']);
    client.close();
  });
});

describe('the stored outbox after a flush', () => {
  it('close() stores it exact, also when the last write was put off', async () => {
    vi.useFakeTimers();
    const server = new FakeServer();
    const store = new MemoryStore();
    const { client } = fakeClient({ sync: false, store });
    await flush();
    const socket = FakeSocket.last;
    socket.open();
    const sends = Array.from({ length: 40 }, (_, i) => client.sendMessage(`c${i % 4}`, `m${i}`));
    // close() fails the 36 still queued (CLOSED): handled from the start.
    const settled = Promise.allSettled(sends);
    for (let i = 0; i < 4; i++) server.chat(`c${i}`);
    await flush();
    // Four acknowledged of 40 (and 8 sent): not yet half the outbox, so not written yet.
    server.serve(socket);
    await flush();
    await Promise.all(sends.slice(0, 4));
    expect(store.outbox).toHaveLength(40);
    client.close();
    await flush();
    expect(store.outbox.map((e) => e.fields.text)).toEqual(client.pending().map((e) => e.fields.text));
    expect(store.outbox).toHaveLength(36);
    await settled;
  });
});

/** A socket that answers every sendMessage at once (setImmediate), as a fast server would. */
class AutoSocket {
  static seq = 0;
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: unknown) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  onclose: ((e: unknown) => void) | null = null;
  readyState = 0;
  constructor(readonly url: string) {
    setTimeout(() => {
      this.readyState = 1;
      this.onopen?.({});
    }, 0);
  }
  send(data: string): void {
    const r = JSON.parse(data) as Record<string, string>;
    const seq = ++AutoSocket.seq;
    const message = { chatId: r.chatId, messageId: `m${seq}`, seq, ver: seq, senderId: 'me', text: r.text };
    const frame = r.action === 'sendMessage' ? { type: 'ack', message, lastVer: seq } : { type: 'pong' };
    const reply = { ...frame, action: r.action, requestId: r.requestId };
    setImmediate(() => this.onmessage?.({ data: JSON.stringify(reply) }));
  }
  close(): void {
    this.readyState = 3;
  }
}

/** Saves, and outbox entries written, while n changes (in 3 chats) are queued and flushed. */
async function written(n: number, saveMs?: number) {
  let saves = 0;
  let entries = 0;
  const store: ClientStore = {
    load: async () => null,
    save: async (changes) => {
      saves++;
      entries += changes.outbox?.length ?? 0;
      if (saveMs !== undefined) await new Promise((resolve) => setTimeout(resolve, saveMs));
    },
  };
  const client = connect({
    url: 'ws://x/prod',
    token: jwt(),
    WebSocket: AutoSocket as never,
    sync: false,
    store,
  });
  await Promise.all(Array.from({ length: n }, (_, i) => client.sendMessage(`c${i % 3}`, `m${i}`)));
  await client.settled();
  client.close();
  return { saves, entries };
}

describe('the store writes of a flush', () => {
  it('grow linearly with the changes (1,000 vs 4,000), a fast store and a slow one', async () => {
    for (const saveMs of [undefined, 2]) {
      const small = await written(1000, saveMs);
      const large = await written(4000, saveMs);
      // Linear: 4 times as many; quadratic was 16 times (and 2 saves per change).
      expect(large.entries / small.entries, `saveMs ${saveMs}`).toBeLessThan(6);
      expect(large.entries, `saveMs ${saveMs}`).toBeLessThan(10 * 4000);
      expect(large.saves, `saveMs ${saveMs}`).toBeLessThan(4000);
    }
  });
});
