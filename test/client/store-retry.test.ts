/**
 * A save that fails (client/src/writer.ts): its changes are written again with the next save, and
 * no chat's cursor is stored ahead of the messages it lost, so a run after a store that kept failing
 * fetches them again. A failed save is not retried in a loop while nothing changes.
 */
import { describe, expect, it } from 'vitest';
import { type ClientStore, MemoryStore, type StoreChanges } from '../../client/src/index.ts';
import { FakeSocket } from './support/fake-socket.ts';
import { flush } from './support/harness.ts';
import { serveAll, server, started, texts, useSyncHarness } from './support/sync-harness.ts';

useSyncHarness();

/** A MemoryStore behind saves that fail while `fails` says so. */
function failing(fails: (changes: StoreChanges) => boolean) {
  const memory = new MemoryStore();
  const saves = { failed: 0 };
  const store: ClientStore = {
    load: () => memory.load(),
    save: async (changes: StoreChanges) => {
      if (fails(changes)) {
        saves.failed++;
        throw new Error('SQLITE_BUSY');
      }
      await memory.save(changes);
    },
  };
  return { memory, store, saves };
}

const stored = (memory: MemoryStore, chatId: string) =>
  [...(memory.messages.get(chatId)?.values() ?? [])].map((m) => m.text);

describe('a save that failed', () => {
  it('is written with the next one: its messages are not lost', async () => {
    server.chat('a');
    let failures = 1;
    const { memory, store, saves } = failing((c) => c.messages.length > 0 && failures-- > 0);
    const { client } = await started({ store, logger: { warn: () => undefined } });
    const socket = FakeSocket.last;
    socket.push({ type: 'message.created', message: server.add('a', 'one') });
    await flush(10);
    expect(saves.failed).toBe(1);
    expect(stored(memory, 'a')).toEqual([]);
    socket.push({ type: 'message.created', message: server.add('a', 'two') });
    await flush(10);
    expect(stored(memory, 'a')).toEqual(['one', 'two']);
    expect(memory.chats.get('a')?.syncedVer).toBe(server.get('a').lastVer);
    await client.close();
  });

  it('with nothing changed since, close() writes it', async () => {
    server.chat('a');
    let failures = 1;
    const { memory, store, saves } = failing((c) => c.messages.length > 0 && failures-- > 0);
    const { client } = await started({ store, logger: { warn: () => undefined } });
    FakeSocket.last.push({ type: 'message.created', message: server.add('a', 'one') });
    await flush(60_000);
    expect(saves.failed).toBe(1);
    expect(stored(memory, 'a')).toEqual([]);
    await client.close();
    expect(stored(memory, 'a')).toEqual(['one']);
  });

  it('again and again: no chat cursor is stored past the messages lost, so the next run fetches them', async () => {
    server.chat('a');
    const { memory, store, saves } = failing((c) => c.messages.some((m) => m.text === 'one'));
    const { client } = await started({ store, logger: { warn: () => undefined } });
    const socket = FakeSocket.last;
    const one = server.add('a', 'one');
    socket.push({ type: 'message.created', message: one });
    await flush(10);
    // While nothing changes, the failed save is not tried again.
    await flush(60_000);
    expect(saves.failed).toBe(1);
    socket.push({ type: 'message.created', message: server.add('a', 'two') });
    await serveAll();
    await client.close();
    expect(saves.failed).toBeGreaterThan(1);
    expect(stored(memory, 'a')).toEqual([]);
    expect(memory.chats.get('a')?.syncedVer).toBeLessThan(one.ver);
    const next = await started({ store: memory });
    expect(texts(next.client, 'a')).toEqual(['one', 'two']);
    await next.client.close();
  });

  it('kept failing: the changes held for the next save keep one copy of each message', async () => {
    server.chat('a');
    const batches: number[] = [];
    const { memory, store } = failing((c) => {
      if (c.messages.length > 0) batches.push(c.messages.length);
      return c.messages.length > 0;
    });
    const { client } = await started({ store, logger: { warn: () => undefined } });
    const socket = FakeSocket.last;
    const one = server.add('a', 'one');
    socket.push({ type: 'message.created', message: one });
    await flush(10);
    for (let i = 0; i < 30; i++) {
      socket.push({ type: 'message.updated', message: server.edit('a', one.seq, `one, edit ${i}`) });
      await flush(10);
    }
    // Each failed save carried the one message once, however many times it changed (it carried
    // every copy before: 31 in the last save).
    expect(batches.length).toBeGreaterThan(10);
    expect(Math.max(...batches)).toBe(1);
    expect(stored(memory, 'a')).toEqual([]);
    await client.close();
  });
});
