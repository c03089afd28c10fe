/**
 * A save that fails (client/src/writer.ts): its changes are written again with the next save, and
 * no chat's cursor is stored ahead of the messages it lost, so a run after a store that kept failing
 * fetches them again. A failed save is not retried in a loop while nothing changes, and the next
 * save waits (1 s, doubling to 30 s, however many changes come meanwhile; a success ends it), but
 * not for a send's save, nor close().
 */
import { describe, expect, it, vi } from 'vitest';
import { type ClientStore, MemoryStore, type StoreChanges } from '../../client/src/index.ts';
import { FIRST_RETRY_MS, LAST_RETRY_MS } from '../../client/src/writer.ts';
import { FakeSocket } from './support/fake-socket.ts';
import { flush } from './support/harness.ts';
import { serveAll, server, started, texts, useSyncHarness } from './support/sync-harness.ts';

useSyncHarness();

/** A MemoryStore behind saves that fail while `fails` says so (each failure after `slowMs`). */
function failing(fails: (changes: StoreChanges) => boolean, slowMs = 0) {
  const memory = new MemoryStore();
  /** Failed saves; when each save was asked, and each that failed (the fake clock). */
  const saves = { failed: 0, at: [] as number[], failedAt: [] as number[] };
  const store: ClientStore = {
    load: () => memory.load(),
    save: async (changes: StoreChanges) => {
      saves.at.push(Date.now());
      if (fails(changes)) {
        if (slowMs) await new Promise((resolve) => setTimeout(resolve, slowMs));
        saves.failed++;
        saves.failedAt.push(Date.now());
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
  it('is written with the next one, after the wait: its messages are not lost', async () => {
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
    expect(stored(memory, 'a')).toEqual([]);
    await flush(FIRST_RETRY_MS);
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
      server.serve(socket);
      await flush(LAST_RETRY_MS);
    }
    // Each failed save carried the one message once, however many times it changed (it carried
    // every copy before: 31 in the last save).
    expect(batches.length).toBeGreaterThan(10);
    expect(Math.max(...batches)).toBe(1);
    expect(stored(memory, 'a')).toEqual([]);
    await client.close();
  });

  it('keeps failing: each save waits 1 s more, doubling to 30 s, however many messages come', async () => {
    server.chat('a');
    let broken = false;
    const { memory, store, saves } = failing(() => broken);
    const { client } = await started({ store, logger: { warn: () => undefined } });
    const socket = FakeSocket.last;
    broken = true;
    saves.at.length = 0;
    // Two minutes of a message every 100 ms: 1,200 messages, 8 saves.
    for (let i = 0; i < 1200; i++) {
      socket.push({ type: 'message.created', message: server.add('a', `m${i}`) });
      server.serve(socket);
      await flush(100);
    }
    const gaps = saves.at.slice(1).map((at, i) => at - (saves.at[i] as number));
    expect(gaps).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    // close() does not wait: the store (working again) gets everything at once.
    broken = false;
    await client.close();
    expect(stored(memory, 'a')).toHaveLength(1200);
    expect(memory.chats.get('a')?.syncedVer).toBe(server.get('a').lastVer);
  });

  it('a save that works ends the wait: the next failure waits 1 s again', async () => {
    server.chat('a');
    let failures = 0;
    const { memory, store, saves } = failing(() => failures-- > 0);
    const { client } = await started({ store, logger: { warn: () => undefined } });
    const socket = FakeSocket.last;
    const burst = async (n: number) => {
      for (let i = 0; i < n; i++) {
        socket.push({ type: 'message.created', message: server.add('a', 'x') });
        server.serve(socket);
        await flush(250);
      }
    };
    failures = 3;
    await burst(40);
    // Failed at 0, 1 and 3 s; written at 7 s.
    const [first = 0] = saves.failedAt;
    expect(saves.failedAt.map((at) => at - first)).toEqual([0, 1000, 3000]);
    expect(saves.at.filter((at) => at > first + 3000)[0]).toBe(first + 7000);
    failures = 1;
    await burst(20);
    // The fourth failure waits 1 s, not 8.
    const fourth = saves.failedAt[3] as number;
    expect(saves.at.filter((at) => at > fourth)[0]).toBe(fourth + 1000);
    await client.close();
    expect(stored(memory, 'a')).toHaveLength(60);
  });

  it("one's own send does not wait for the wait: it is saved (or fails to be) and sent at once", async () => {
    server.chat('a');
    let broken = false;
    const { store, saves } = failing(() => broken);
    const { client } = await started({ store, logger: { warn: () => undefined } });
    const socket = FakeSocket.last;
    broken = true;
    socket.push({ type: 'message.created', message: server.add('a', 'one') });
    await flush(10);
    expect(saves.failed).toBe(1);
    const sent = client.sendMessage('a', 'mine');
    await flush();
    expect(saves.failed).toBeGreaterThan(1);
    expect(socket.requests('sendMessage')).toHaveLength(1);
    server.serve(socket);
    await flush();
    await expect(sent).resolves.toMatchObject({ text: 'mine' });
    await client.close();
  });

  it("one's own send made while a save that fails is in flight does not wait either", async () => {
    server.chat('a');
    let broken = false;
    const { store, saves } = failing(() => broken, 50);
    const { client } = await started({ store, logger: { warn: () => undefined } });
    const socket = FakeSocket.last;
    broken = true;
    saves.at.length = 0;
    socket.push({ type: 'message.created', message: server.add('a', 'one') });
    await flush(10);
    // The save of 'one' is in flight (it fails at 50 ms): the send is made now.
    expect(saves.at).toHaveLength(1);
    expect(saves.failed).toBe(0);
    const sent = client.sendMessage('a', 'mine');
    await flush(FIRST_RETRY_MS / 2);
    // Its save went at once after the failure (it failed too), not after the 1 s wait.
    expect(saves.failed).toBe(2);
    expect(socket.requests('sendMessage')).toHaveLength(1);
    server.serve(socket);
    await flush();
    await expect(sent).resolves.toMatchObject({ text: 'mine' });
    broken = false;
    await client.close();
  });
});

describe('close()', () => {
  it('after a last save that fails, leaves no wait behind (no timer keeps the process alive)', async () => {
    server.chat('a');
    const { store, saves } = failing(() => true);
    const { client } = await started({ store, logger: { warn: () => undefined } });
    FakeSocket.last.push({ type: 'message.created', message: server.add('a', 'one') });
    await client.close();
    expect(saves.failed).toBeGreaterThan(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
