/**
 * The client and a store that is slow or fails (client/src/client.ts, writer.ts): `close()` resolves
 * once the store holds the outbox, so a client made next on the same store sends nothing twice; a
 * load that failed leaves the stored outbox as it was (this run's changes are not written over it);
 * a logger that throws while a save fails does not stop the writing (each send waits for it).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ClientStore, MemoryStore, type StoreChanges } from '../../client/src/index.ts';
import { FakeServer } from './support/fake-server.ts';
import { FakeSocket } from './support/fake-socket.ts';
import { fakeClient, flush } from './support/harness.ts';

afterEach(() => {
  vi.useRealTimers();
  FakeSocket.reset();
});

/** A few microtasks, no timer: a store that answers after the caller's next await or two. */
const ticks = async (n: number) => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};

const entry = (id: string, text: string) => ({
  id,
  chatId: 'c1',
  action: 'sendMessage' as const,
  fields: { chatId: 'c1', text, clientMessageId: id },
  createdAt: '',
  attempts: 0,
});

describe('a store that is slow or fails', () => {
  it('close() resolves once the store holds the outbox: the next client on it resends nothing acknowledged', async () => {
    vi.useFakeTimers();
    const server = new FakeServer();
    const memory = new MemoryStore();
    const store: ClientStore = {
      load: () => memory.load(),
      save: async (changes: StoreChanges) => {
        await ticks(20);
        await memory.save(changes);
      },
    };
    const { client } = fakeClient({ sync: false, store });
    await flush();
    const socket = FakeSocket.last;
    socket.open();
    const sends = Array.from({ length: 40 }, (_, i) => client.sendMessage(`c${i % 4}`, `m${i}`));
    const settled = Promise.allSettled(sends);
    for (let i = 0; i < 4; i++) server.chat(`c${i}`);
    await flush();
    server.serve(socket);
    await flush();
    await Promise.all(sends.slice(0, 4));
    // Four acknowledged of 40: the store still holds all 40 (the rewrite is put off).
    expect(memory.outbox).toHaveLength(40);
    await client.close();
    expect(memory.outbox).toHaveLength(36);
    expect(memory.outbox.map((e) => e.fields.text)).not.toContain('m0');
    await settled;
  });

  it('a load that failed leaves the stored outbox as it was; this run still sends', async () => {
    vi.useFakeTimers();
    const server = new FakeServer();
    server.chat('c1');
    const memory = new MemoryStore();
    memory.outbox = [entry('o1', 'old-1')];
    const store: ClientStore = {
      load: () => Promise.reject(new Error('storage unavailable')),
      save: (changes: StoreChanges) => memory.save(changes),
    };
    const { client } = fakeClient({ sync: false, store, logger: { warn: () => undefined } });
    const sent = client.sendMessage('c1', 'new-1');
    await flush(10);
    const socket = FakeSocket.last;
    socket.open();
    server.serve(socket);
    await flush(10);
    await expect(sent).resolves.toMatchObject({ text: 'new-1' });
    expect(socket.requests('sendMessage').map((r) => r.text)).toEqual(['new-1']);
    await client.close();
    // The earlier run's unsent message is still there for a run whose load works.
    expect(memory.outbox.map((e) => e.fields.text)).toEqual(['old-1']);
  });

  it('a logger that throws while a save fails does not stop the writing', async () => {
    vi.useFakeTimers();
    const server = new FakeServer();
    server.chat('c1');
    const memory = new MemoryStore();
    let failures = 1;
    const store: ClientStore = {
      load: () => memory.load(),
      save: (changes: StoreChanges) =>
        failures-- > 0 ? Promise.reject(new Error('disk full')) : memory.save(changes),
    };
    const logger = {
      warn: () => {
        throw new Error('the logger failed');
      },
    };
    const { client } = fakeClient({ sync: false, store, logger });
    await flush();
    const socket = FakeSocket.last;
    socket.open();
    const one = client.sendMessage('c1', 'one');
    await flush(10);
    const two = client.sendMessage('c1', 'two');
    for (let i = 0; i < 4; i++) {
      server.serve(socket);
      await flush(10);
    }
    await expect(Promise.all([one, two])).resolves.toHaveLength(2);
    expect(socket.requests('sendMessage').map((r) => r.text)).toEqual(['one', 'two']);
    await client.close();
  });
});
